//! Structural Verilog reader: the subset `yosys write_verilog -noattr` emits
//! for gate netlists and everything [`crate::export::write_verilog`] writes.
//!
//! Supported: `module` with ANSI or non-ANSI port lists; `input`/`output`/
//! `wire` declarations with `[msb:lsb]` ranges; `assign` of bits, vectors,
//! part selects and concatenations from expressions over `~ ! & | ^ ~^ ?:`
//! and constants; cell instances with named port connections and an
//! optional `#(...)` parameter list (ignored); `(* attributes *)`, comments
//! and compiler directives are skipped. A plain `assign x = y;` is a
//! connection, not a buffer. Each other single-bit `assign` becomes one gate
//! when its function is one of the abstract gates (`~(a & b)` → NAND2,
//! `a & ~b` → ANDNOT, `~((a & b) | c)` → AOI21 …), else one gate per operator.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::{named_module, resolve, single_root, ImportError, ImportOptions, Resolved};
use crate::{Gate, Loc, NetId, Netlist, NetlistBuilder, CONST0, CONST1};
use tosim_cells::{GateMatcher, TruthTable};

#[derive(Clone, Debug, PartialEq)]
enum Tok<'a> {
    Id(&'a str),
    /// A sized or unsized number: bits LSB first.
    Num(Vec<bool>),
    Sym(&'static str),
}

struct Lexer<'a> {
    s: &'a [u8],
    pos: usize,
    line: usize,
}

const SYMS: &[&str] = &[
    "~^", "^~", "&&", "||", "(", ")", "[", "]", "{", "}", ";", ",", ".", ":", "=", "~", "!", "&", "|", "^", "?", "#",
    "@", "*", "+", "-", "<", ">", "/", "%",
];

/// The next token and its line, `None` at the end of the text.
fn next_token<'a>(l: &mut Lexer<'a>, text: &'a str, file: &str) -> Result<Option<(Tok<'a>, usize)>, ImportError> {
    let err = |line: usize, msg: String| ImportError::Syntax { loc: Loc { file: file.into(), line }, msg };
    {
        // Whitespace, comments, attributes, directives.
        while l.pos < l.s.len() {
            let c = l.s[l.pos];
            if c == b'\n' {
                l.line += 1;
                l.pos += 1;
            } else if c.is_ascii_whitespace() {
                l.pos += 1;
            } else if l.s[l.pos..].starts_with(b"//") || c == b'`' {
                while l.pos < l.s.len() && l.s[l.pos] != b'\n' {
                    l.pos += 1;
                }
            } else if l.s[l.pos..].starts_with(b"/*") || l.s[l.pos..].starts_with(b"(*") {
                let close: &[u8] = if c == b'/' { b"*/" } else { b"*)" };
                let start = l.line;
                l.pos += 2;
                loop {
                    if l.pos >= l.s.len() {
                        return Err(err(start, "unterminated comment or attribute".into()));
                    }
                    if l.s[l.pos..].starts_with(close) {
                        l.pos += 2;
                        break;
                    }
                    if l.s[l.pos] == b'\n' {
                        l.line += 1;
                    }
                    l.pos += 1;
                }
            } else {
                break;
            }
        }
        if l.pos >= l.s.len() {
            return Ok(None);
        }
        let line = l.line;
        let c = l.s[l.pos];
        if c.is_ascii_alphabetic() || c == b'_' || c == b'$' {
            let st = l.pos;
            while l.pos < l.s.len() && (l.s[l.pos].is_ascii_alphanumeric() || l.s[l.pos] == b'_' || l.s[l.pos] == b'$')
            {
                l.pos += 1;
            }
            Ok(Some((Tok::Id(&text[st..l.pos]), line)))
        } else if c == b'\\' {
            l.pos += 1;
            let st = l.pos;
            while l.pos < l.s.len() && !l.s[l.pos].is_ascii_whitespace() {
                l.pos += 1;
            }
            if st == l.pos {
                return Err(err(line, "empty escaped identifier".into()));
            }
            Ok(Some((Tok::Id(&text[st..l.pos]), line)))
        } else if c.is_ascii_digit() || c == b'\'' {
            let st = l.pos;
            while l.pos < l.s.len() && (l.s[l.pos].is_ascii_digit() || l.s[l.pos] == b'_') {
                l.pos += 1;
            }
            let size_txt: String = text[st..l.pos].chars().filter(|&c| c != '_').collect();
            if l.pos < l.s.len() && l.s[l.pos] == b'\'' {
                l.pos += 1;
                if l.pos < l.s.len() && (l.s[l.pos] == b's' || l.s[l.pos] == b'S') {
                    l.pos += 1;
                }
                let base = l.s.get(l.pos).copied().unwrap_or(b' ').to_ascii_lowercase();
                if !matches!(base, b'b' | b'o' | b'h' | b'd') {
                    return Err(err(line, "bad number base (expected b, o, h or d after `'`)".into()));
                }
                l.pos += 1;
                let vs = l.pos;
                while l.pos < l.s.len() && (l.s[l.pos].is_ascii_alphanumeric() || l.s[l.pos] == b'_') {
                    l.pos += 1;
                }
                let digits: String = text[vs..l.pos].chars().filter(|&c| c != '_').collect();
                let bits_per = match base {
                    b'b' => 1,
                    b'o' => 3,
                    b'h' => 4,
                    b'd' => 0,
                    _ => return Err(err(line, "bad number base".into())),
                };
                let mut bits = Vec::new();
                if bits_per == 0 {
                    let v: u128 = digits.parse().map_err(|_| err(line, format!("bad decimal `{digits}`")))?;
                    bits = (0..128).map(|i| v >> i & 1 == 1).collect();
                } else {
                    for ch in digits.chars().rev() {
                        let d = match ch.to_ascii_lowercase() {
                            'x' | 'z' | '?' => 0,
                            ch => ch.to_digit(1 << bits_per).ok_or_else(|| err(line, format!("bad digit `{ch}`")))?,
                        };
                        for i in 0..bits_per {
                            bits.push(d >> i & 1 == 1);
                        }
                    }
                }
                let size = if size_txt.is_empty() {
                    32
                } else {
                    size_txt.parse::<usize>().map_err(|_| err(line, "bad size".into()))?.min(1 << 16)
                };
                bits.resize(size, false);
                Ok(Some((Tok::Num(bits), line)))
            } else {
                let v: u128 = size_txt.parse().map_err(|_| err(line, format!("bad number `{size_txt}`")))?;
                Ok(Some((Tok::Num((0..32).map(|i| v >> i & 1 == 1).collect()), line)))
            }
        } else if let Some(s) = SYMS.iter().find(|s| l.s[l.pos..].starts_with(s.as_bytes())) {
            l.pos += s.len();
            Ok(Some((Tok::Sym(s), line)))
        } else {
            Err(err(line, format!("unexpected character `{}`", c as char)))
        }
    }
}

/// One bit of a signal: a signal id (0 and 1 are the constants).
type Sig = u32;

/// A single-bit expression.
#[derive(Clone, Debug, PartialEq)]
enum Expr {
    Sig(Sig),
    Not(Box<Expr>),
    Bin(Op, Box<Expr>, Box<Expr>),
    Mux(Box<Expr>, Box<Expr>, Box<Expr>),
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    And,
    Or,
    Xor,
    Xnor,
}

#[derive(Clone, Debug)]
struct Decl {
    msb: i64,
    lsb: i64,
    /// Signal id of bit position 0 (LSB); bits are consecutive.
    base: Sig,
}

impl Decl {
    fn width(&self) -> usize {
        (self.msb - self.lsb).unsigned_abs() as usize + 1
    }
    fn pos(&self, idx: i64) -> Option<usize> {
        let p = if self.msb >= self.lsb { idx - self.lsb } else { self.lsb - idx };
        (p >= 0 && (p as usize) < self.width()).then_some(p as usize)
    }
}

struct Inst {
    ty: String,
    name: String,
    conns: Vec<(String, Vec<Sig>)>,
    line: usize,
}

#[derive(Default)]
struct Module {
    name: String,
    line: usize,
    /// Ports in header order: name and direction (`true` = input), filled by declarations.
    ports: Vec<(String, Option<bool>)>,
    decls: HashMap<String, Decl>,
    sig_names: Vec<String>,
    assigns: Vec<(Sig, Expr, usize)>,
    insts: Vec<Inst>,
}

impl Module {
    fn new_sigs(&mut self, name: &str, width: usize) -> Sig {
        let base = self.sig_names.len() as Sig;
        for i in 0..width {
            self.sig_names.push(if width == 1 { name.to_string() } else { format!("{name}[{i}]") });
        }
        base
    }
}

/// A recursive-descent parser over a streaming lexer with a small lookahead
/// buffer, so memory does not grow with the token count.
struct Parser<'a> {
    text: &'a str,
    lexer: Lexer<'a>,
    buf: std::collections::VecDeque<(Tok<'a>, usize)>,
    done: bool,
    lex_err: Option<ImportError>,
    last_line: usize,
    file: &'a str,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str, file: &'a str) -> Self {
        Parser {
            text,
            lexer: Lexer { s: text.as_bytes(), pos: 0, line: 1 },
            buf: std::collections::VecDeque::new(),
            done: false,
            lex_err: None,
            last_line: 1,
            file,
        }
    }
    /// Makes token `k` of the lookahead available (unless the text ends).
    fn fill(&mut self, k: usize) {
        while self.buf.len() <= k && !self.done {
            match next_token(&mut self.lexer, self.text, self.file) {
                Ok(Some(t)) => self.buf.push_back(t),
                Ok(None) => self.done = true,
                Err(e) => {
                    self.lex_err = Some(e);
                    self.done = true;
                }
            }
        }
    }
    fn bump(&mut self) {
        self.fill(0);
        if let Some((_, line)) = self.buf.pop_front() {
            self.last_line = line;
        }
    }
    fn line(&mut self) -> usize {
        self.fill(0);
        self.buf.front().map_or(self.last_line, |t| t.1)
    }
    fn err<T>(&mut self, msg: impl Into<String>) -> Result<T, ImportError> {
        let line = self.line();
        Err(ImportError::Syntax { loc: Loc { file: self.file.into(), line }, msg: msg.into() })
    }
    fn peek(&mut self) -> Option<&Tok<'a>> {
        self.fill(0);
        self.buf.front().map(|t| &t.0)
    }
    fn peek_at(&mut self, k: usize) -> Option<&Tok<'a>> {
        self.fill(k);
        self.buf.get(k).map(|t| &t.0)
    }
    fn is(&mut self, s: &str) -> bool {
        matches!(self.peek(), Some(Tok::Sym(x)) if *x == s)
    }
    fn is_kw(&mut self, s: &str) -> bool {
        matches!(self.peek(), Some(Tok::Id(x)) if *x == s)
    }
    fn eat(&mut self, s: &str) -> bool {
        if self.is(s) || self.is_kw(s) {
            self.bump();
            true
        } else {
            false
        }
    }
    fn found(&mut self) -> String {
        match self.peek() {
            None => "the end of the file".into(),
            Some(t) => show(t),
        }
    }
    fn expect(&mut self, s: &str) -> Result<(), ImportError> {
        if self.eat(s) {
            return Ok(());
        }
        if self.peek().is_none() {
            return self.err(format!("unexpected end of file, expected `{s}`"));
        }
        let f = self.found();
        self.err(format!("expected `{s}`, found {f}"))
    }
    fn ident(&mut self) -> Result<String, ImportError> {
        if let Some(Tok::Id(s)) = self.peek() {
            let s = s.to_string();
            self.bump();
            return Ok(s);
        }
        if self.peek().is_none() {
            return self.err("unexpected end of file, expected an identifier");
        }
        let f = self.found();
        self.err(format!("expected an identifier, found {f}"))
    }
    fn int(&mut self) -> Result<i64, ImportError> {
        let neg = self.eat("-");
        if let Some(Tok::Num(bits)) = self.peek() {
            let v = bits.iter().take(63).enumerate().fold(0i64, |a, (i, &b)| a | (i64::from(b) << i));
            self.bump();
            return Ok(if neg { -v } else { v });
        }
        self.err("expected a number")
    }
    /// `[msb:lsb]` if present.
    fn range(&mut self) -> Result<Option<(i64, i64)>, ImportError> {
        if !self.eat("[") {
            return Ok(None);
        }
        let msb = self.int()?;
        self.expect(":")?;
        let lsb = self.int()?;
        self.expect("]")?;
        Ok(Some((msb, lsb)))
    }
    /// Skips a balanced `( … )`.
    fn skip_parens(&mut self) -> Result<(), ImportError> {
        self.expect("(")?;
        let mut depth = 1;
        while depth > 0 {
            match self.peek() {
                None => return self.err("unexpected end of file in parentheses"),
                Some(Tok::Sym("(")) => depth += 1,
                Some(Tok::Sym(")")) => depth -= 1,
                _ => {}
            }
            self.bump();
        }
        Ok(())
    }
}

fn show(t: &Tok<'_>) -> String {
    match t {
        Tok::Id(s) => format!("`{s}`"),
        Tok::Num(_) => "a number".into(),
        Tok::Sym(s) => format!("`{s}`"),
    }
}

fn parse_modules(p: &mut Parser) -> Result<Vec<Module>, ImportError> {
    let mut mods = Vec::new();
    while p.peek().is_some() {
        if !p.is_kw("module") {
            let t = p.peek().map(show).unwrap_or_default();
            return p.err(format!("expected `module`, found {t}"));
        }
        mods.push(parse_module(p)?);
    }
    Ok(mods)
}

fn declare(p: &mut Parser, m: &mut Module, name: &str, range: Option<(i64, i64)>) -> Result<(), ImportError> {
    let (msb, lsb) = range.unwrap_or((0, 0));
    if let Some(d) = m.decls.get(name) {
        if (d.msb, d.lsb) != (msb, lsb) {
            return p.err(format!("`{name}` redeclared with a different range"));
        }
        return Ok(());
    }
    let width = (msb - lsb).unsigned_abs() as usize + 1;
    if width > 1 << 20 {
        return p.err(format!("`{name}` is too wide ({width} bits)"));
    }
    let base = m.new_sigs(name, width);
    m.decls.insert(name.to_string(), Decl { msb, lsb, base });
    Ok(())
}

fn port_dir(p: &mut Parser, m: &mut Module, name: &str, input: bool) -> Result<(), ImportError> {
    match m.ports.iter_mut().find(|(n, _)| n == name) {
        Some(port) => port.1 = Some(input),
        None => return p.err(format!("`{name}` is declared as a port but is not in the port list of `{}`", m.name)),
    }
    Ok(())
}

fn parse_module(p: &mut Parser) -> Result<Module, ImportError> {
    let line = p.line();
    p.expect("module")?;
    let name = p.ident()?;
    let mut m = Module { name, line, sig_names: vec!["1'b0".into(), "1'b1".into()], ..Default::default() };
    if p.eat("#") {
        p.skip_parens()?;
    }
    if p.is("(") {
        p.expect("(")?;
        if !p.eat(")") {
            loop {
                if p.is_kw("input") || p.is_kw("output") || p.is_kw("inout") {
                    // ANSI: direction [wire] [signed] [range] name {, name}
                    let dir = p.ident()?;
                    if dir == "inout" {
                        return p.err("inout ports are not supported");
                    }
                    p.eat("wire");
                    if p.is_kw("reg") {
                        return p.err("`reg` ports are not supported (structural netlists only)");
                    }
                    p.eat("signed");
                    let r = p.range()?;
                    let n = p.ident()?;
                    m.ports.push((n.clone(), None));
                    declare(p, &mut m, &n, r)?;
                    port_dir(p, &mut m, &n, dir == "input")?;
                    // Further names with the same direction.
                    while p.is(",")
                        && matches!(p.peek_at(1), Some(Tok::Id(s)) if !["input", "output", "inout"].contains(s))
                    {
                        p.expect(",")?;
                        let n = p.ident()?;
                        m.ports.push((n.clone(), None));
                        declare(p, &mut m, &n, r)?;
                        port_dir(p, &mut m, &n, dir == "input")?;
                    }
                } else {
                    let n = p.ident()?;
                    m.ports.push((n, None));
                }
                if p.eat(")") {
                    break;
                }
                p.expect(",")?;
            }
        }
    }
    p.expect(";")?;
    loop {
        let line = p.line();
        match p.peek().cloned() {
            None => return p.err(format!("unexpected end of file in module `{}` (missing `endmodule`)", m.name)),
            Some(Tok::Id(kw)) => {
                match kw {
                    "endmodule" => {
                        p.bump();
                        break;
                    }
                    "input" | "output" | "wire" | "inout" => {
                        p.bump();
                        if kw == "inout" {
                            return p.err("inout ports are not supported");
                        }
                        if kw != "wire" {
                            p.eat("wire");
                        }
                        if p.is_kw("reg") {
                            return p.err("`reg` is not supported (structural netlists only)");
                        }
                        p.eat("signed");
                        let r = p.range()?;
                        loop {
                            let n = p.ident()?;
                            declare(p, &mut m, &n, r)?;
                            if kw != "wire" {
                                port_dir(p, &mut m, &n, kw == "input")?;
                            }
                            if p.eat("=") {
                                let lhs = lvalue_of(p, &m, &n)?;
                                let e = expr(p, &mut m)?;
                                push_assign(p, &mut m, lhs, e, line)?;
                            }
                            if !p.eat(",") {
                                break;
                            }
                        }
                        p.expect(";")?;
                    }
                    "assign" => {
                        p.bump();
                        loop {
                            let lhs = sig_vec(p, &mut m, false)?;
                            p.expect("=")?;
                            let e = expr(p, &mut m)?;
                            push_assign(p, &mut m, lhs, e, line)?;
                            if !p.eat(",") {
                                break;
                            }
                        }
                        p.expect(";")?;
                    }
                    "reg" | "always" | "initial" | "function" | "task" | "generate" | "always_comb" | "always_ff" => {
                        return p.err(format!("`{kw}` is not supported: the importer reads structural netlists (synthesise with yosys first)"));
                    }
                    "supply0" | "supply1" | "tri" | "wand" | "wor" | "parameter" | "localparam" | "defparam"
                    | "specify" => {
                        return p.err(format!("`{kw}` is not supported"));
                    }
                    _ => {
                        // Cell instance: TYPE [#(...)] NAME ( .PIN(expr), ... ) ;
                        p.bump();
                        if p.eat("#") {
                            p.skip_parens()?;
                        }
                        let name = p.ident()?;
                        p.expect("(")?;
                        let mut conns = Vec::new();
                        if !p.eat(")") {
                            loop {
                                if !p.eat(".") {
                                    return p.err(format!(
                                    "instance `{name}` of `{kw}`: positional port connections are not supported; use `.PIN(net)`"
                                ));
                                }
                                let pin = p.ident()?;
                                p.expect("(")?;
                                let sigs = if p.is(")") { Vec::new() } else { sig_vec(p, &mut m, true)? };
                                p.expect(")")?;
                                conns.push((pin, sigs));
                                if p.eat(")") {
                                    break;
                                }
                                p.expect(",")?;
                            }
                        }
                        p.expect(";")?;
                        m.insts.push(Inst { ty: kw.to_string(), name, conns, line });
                    }
                }
            }
            Some(t) => return p.err(format!("unexpected {} in module `{}`", show(&t), m.name)),
        }
    }
    Ok(m)
}

fn lvalue_of(p: &mut Parser, m: &Module, name: &str) -> Result<Vec<Sig>, ImportError> {
    match m.decls.get(name) {
        Some(d) => Ok((0..d.width() as Sig).map(|i| d.base + i).collect()),
        None => p.err(format!("`{name}` is not declared")),
    }
}

fn push_assign(p: &mut Parser, m: &mut Module, lhs: Vec<Sig>, rhs: Vec<Expr>, line: usize) -> Result<(), ImportError> {
    if rhs.len() > lhs.len() && rhs[lhs.len()..].iter().any(|e| *e != Expr::Sig(0)) {
        // Verilog truncates; a netlist writer never relies on that.
        let _ = p;
    }
    for (i, s) in lhs.into_iter().enumerate() {
        let e = rhs.get(i).cloned().unwrap_or(Expr::Sig(0));
        m.assigns.push((s, e, line));
    }
    Ok(())
}

/// A signal vector (LSB first): identifier, bit or part select, constant, or concatenation.
fn sig_vec(p: &mut Parser, m: &mut Module, allow_const: bool) -> Result<Vec<Sig>, ImportError> {
    let e = primary(p, m)?;
    let mut out = Vec::with_capacity(e.len());
    for x in e {
        match x {
            Expr::Sig(s) if allow_const || s > 1 => out.push(s),
            Expr::Sig(_) => return p.err("a constant cannot be assigned to"),
            _ => return p.err("expected a signal"),
        }
    }
    Ok(out)
}

/// Vector expression, LSB first.
fn expr(p: &mut Parser, m: &mut Module) -> Result<Vec<Expr>, ImportError> {
    let c = binary(p, m, 0)?;
    if p.eat("?") {
        let t = expr(p, m)?;
        p.expect(":")?;
        let e = expr(p, m)?;
        if c.len() != 1 && c[1..].iter().any(|x| *x != Expr::Sig(0)) {
            return p.err("the condition of `?:` must be one bit");
        }
        let w = t.len().max(e.len());
        let c0 = c.into_iter().next().unwrap_or(Expr::Sig(0));
        return Ok((0..w)
            .map(|i| {
                let ti = t.get(i).cloned().unwrap_or(Expr::Sig(0));
                let ei = e.get(i).cloned().unwrap_or(Expr::Sig(0));
                Expr::Mux(Box::new(c0.clone()), Box::new(ti), Box::new(ei))
            })
            .collect());
    }
    Ok(c)
}

const LEVELS: &[&[&str]] = &[&["|", "||"], &["^", "~^", "^~"], &["&", "&&"]];

fn binary(p: &mut Parser, m: &mut Module, level: usize) -> Result<Vec<Expr>, ImportError> {
    if level == LEVELS.len() {
        return unary(p, m);
    }
    let mut lhs = binary(p, m, level + 1)?;
    while let Some(Tok::Sym(s)) = p.peek() {
        let s = *s;
        if !LEVELS[level].contains(&s) {
            break;
        }
        p.bump();
        let rhs = binary(p, m, level + 1)?;
        let op = match s {
            "|" | "||" => Op::Or,
            "&" | "&&" => Op::And,
            "^" => Op::Xor,
            _ => Op::Xnor,
        };
        if (s == "||" || s == "&&") && (lhs.len() != 1 || rhs.len() != 1) {
            return p.err(format!("`{s}` is only supported on single bits"));
        }
        let w = lhs.len().max(rhs.len());
        lhs = (0..w)
            .map(|i| {
                let a = lhs.get(i).cloned().unwrap_or(Expr::Sig(0));
                let b = rhs.get(i).cloned().unwrap_or(Expr::Sig(0));
                Expr::Bin(op, Box::new(a), Box::new(b))
            })
            .collect();
    }
    Ok(lhs)
}

fn unary(p: &mut Parser, m: &mut Module) -> Result<Vec<Expr>, ImportError> {
    if p.eat("~") {
        return Ok(unary(p, m)?.into_iter().map(|e| Expr::Not(Box::new(e))).collect());
    }
    if p.eat("!") {
        let v = unary(p, m)?;
        if v.len() != 1 {
            return p.err("`!` is only supported on single bits");
        }
        return Ok(v.into_iter().map(|e| Expr::Not(Box::new(e))).collect());
    }
    primary(p, m)
}

fn primary(p: &mut Parser, m: &mut Module) -> Result<Vec<Expr>, ImportError> {
    match p.peek().cloned() {
        Some(Tok::Sym("(")) => {
            p.bump();
            let e = expr(p, m)?;
            p.expect(")")?;
            Ok(e)
        }
        Some(Tok::Sym("{")) => {
            p.bump();
            // Replication {n{...}} or concatenation {a, b} (MSB first).
            if matches!(p.peek(), Some(Tok::Num(_))) && matches!(p.peek_at(1), Some(Tok::Sym("{"))) {
                let n = p.int()?;
                if p.eat("{") {
                    let inner = concat_items(p, m)?;
                    p.expect("}")?;
                    if !(0..=1 << 16).contains(&n) {
                        return p.err("replication count out of range");
                    }
                    let mut out = Vec::new();
                    for _ in 0..n {
                        out.extend(inner.iter().cloned());
                    }
                    return Ok(out);
                }
            }
            let v = concat_items(p, m)?;
            p.expect("}")?;
            Ok(v)
        }
        Some(Tok::Num(bits)) => {
            p.bump();
            Ok(bits.into_iter().map(|b| Expr::Sig(Sig::from(b))).collect())
        }
        Some(Tok::Id(name)) => {
            p.bump();
            let Some(d) = m.decls.get(name).cloned() else {
                return p.err(format!("`{name}` is not declared"));
            };
            if p.eat("[") {
                let hi = p.int()?;
                let lo = if p.eat(":") { p.int()? } else { hi };
                p.expect("]")?;
                let (a, b) = (d.pos(hi), d.pos(lo));
                let (Some(a), Some(b)) = (a, b) else {
                    return p.err(format!(
                        "`{name}[{hi}{}]` is out of range [{}:{}]",
                        if hi == lo { String::new() } else { format!(":{lo}") },
                        d.msb,
                        d.lsb
                    ));
                };
                let (lo, hi) = (a.min(b), a.max(b));
                Ok((lo..=hi).map(|i| Expr::Sig(d.base + i as Sig)).collect())
            } else {
                Ok((0..d.width() as Sig).map(|i| Expr::Sig(d.base + i)).collect())
            }
        }
        None => p.err("unexpected end of file in an expression"),
        Some(t) => p.err(format!("unexpected {} in an expression", show(&t))),
    }
}

/// Items of a concatenation, returned LSB first.
fn concat_items(p: &mut Parser, m: &mut Module) -> Result<Vec<Expr>, ImportError> {
    let mut parts = vec![expr(p, m)?];
    while p.eat(",") {
        parts.push(expr(p, m)?);
    }
    Ok(parts.into_iter().rev().flatten().collect())
}

/// Union-find over signals.
struct Uf(Vec<Sig>);

impl Uf {
    fn find(&mut self, mut x: Sig) -> Sig {
        while self.0[x as usize] != x {
            let g = self.0[self.0[x as usize] as usize];
            self.0[x as usize] = g;
            x = g;
        }
        x
    }
    /// Joins two classes, keeping the smaller root (constants and early declarations win names).
    fn union(&mut self, a: Sig, b: Sig) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            let (lo, hi) = (a.min(b), a.max(b));
            self.0[hi as usize] = lo;
        }
    }
}

fn fold(e: Expr) -> Expr {
    use Expr::*;
    let k = |v: bool| Sig(u32::from(v));
    match e {
        Not(x) => match fold(*x) {
            Sig(s) if s < 2 => k(s == 0),
            Not(y) => *y,
            x => Not(Box::new(x)),
        },
        Bin(op, a, b) => {
            let (a, b) = (fold(*a), fold(*b));
            let c = |x: &Expr| match x {
                Sig(s) if *s < 2 => Some(*s == 1),
                _ => None,
            };
            match (op, c(&a), c(&b)) {
                (_, Some(x), Some(y)) => k(match op {
                    Op::And => x & y,
                    Op::Or => x | y,
                    Op::Xor => x ^ y,
                    Op::Xnor => !(x ^ y),
                }),
                (Op::And, Some(false), _) | (Op::And, _, Some(false)) => k(false),
                (Op::Or, Some(true), _) | (Op::Or, _, Some(true)) => k(true),
                (Op::And, Some(true), _) | (Op::Or, Some(false), _) | (Op::Xor, Some(false), _) => b,
                (Op::And, _, Some(true)) | (Op::Or, _, Some(false)) | (Op::Xor, _, Some(false)) => a,
                (Op::Xnor, Some(true), _) => b,
                (Op::Xnor, _, Some(true)) => a,
                (Op::Xor, Some(true), _) | (Op::Xnor, Some(false), _) => fold(Not(Box::new(b))),
                (Op::Xor, _, Some(true)) | (Op::Xnor, _, Some(false)) => fold(Not(Box::new(a))),
                _ => Bin(op, Box::new(a), Box::new(b)),
            }
        }
        Mux(c, t, f) => {
            let (c, t, f) = (fold(*c), fold(*t), fold(*f));
            match c {
                Sig(0) => f,
                Sig(1) => t,
                c if t == f => {
                    let _ = c;
                    t
                }
                c => Mux(Box::new(c), Box::new(t), Box::new(f)),
            }
        }
        s => s,
    }
}

fn leaves(e: &Expr, out: &mut Vec<Sig>) {
    match e {
        Expr::Sig(s) => {
            if !out.contains(s) {
                out.push(*s)
            }
        }
        Expr::Not(x) => leaves(x, out),
        Expr::Bin(_, a, b) => {
            leaves(a, out);
            leaves(b, out);
        }
        Expr::Mux(c, t, f) => {
            leaves(c, out);
            leaves(t, out);
            leaves(f, out);
        }
    }
}

fn value(e: &Expr, env: &dyn Fn(Sig) -> bool) -> bool {
    match e {
        Expr::Sig(s) => env(*s),
        Expr::Not(x) => !value(x, env),
        Expr::Bin(op, a, b) => {
            let (a, b) = (value(a, env), value(b, env));
            match op {
                Op::And => a & b,
                Op::Or => a | b,
                Op::Xor => a ^ b,
                Op::Xnor => !(a ^ b),
            }
        }
        Expr::Mux(c, t, f) => {
            if value(c, env) {
                value(t, env)
            } else {
                value(f, env)
            }
        }
    }
}

/// The single-output abstract gates, as the Verilog reader matches
/// expressions to them: the first gate of [`Gate::ALL`] that computes the
/// function, and among its input orders the first in lexicographic order
/// (the identity first).
fn gate_matcher() -> &'static GateMatcher<Gate> {
    static M: OnceLock<GateMatcher<Gate>> = OnceLock::new();
    M.get_or_init(|| {
        let gates = Gate::ALL.iter().filter(|g| g.outputs().len() == 1).map(|&g| (g, g.function(0)));
        GateMatcher::with_orders(gates, |k| {
            let mut orders = TruthTable::input_orders(k);
            orders.sort();
            orders
        })
    })
}

/// The single-output abstract gate computing `e`, with its input signals in pin order.
fn match_gate(e: &Expr) -> Option<(Gate, Vec<Sig>)> {
    let mut ls = Vec::new();
    leaves(e, &mut ls);
    if ls.is_empty() || ls.len() > 4 || ls.iter().any(|&s| s < 2) {
        return None;
    }
    let k = ls.len();
    let f =
        TruthTable::from_fn(k, |r| value(e, &|s| ls.iter().position(|&x| x == s).is_some_and(|i| r >> i & 1 == 1)))?;
    // Gate pin i reads leaf wiring[i].
    let (g, wiring) = gate_matcher().find(f)?;
    Some((g, wiring.iter().map(|&p| ls[p]).collect()))
}

struct Cell {
    ty: Resolved,
    name: String,
    ins: Vec<Sig>,
    outs: Vec<Option<Sig>>,
    line: usize,
}

/// Turns a folded, non-leaf expression into gates driving `out`.
fn build(e: &Expr, out: Sig, m: &mut Module, cells: &mut Vec<Cell>, line: usize, uid: &mut usize) {
    let gate = |g: Gate, ins: Vec<Sig>, out: Sig, cells: &mut Vec<Cell>, uid: &mut usize| {
        *uid += 1;
        cells.push(Cell {
            ty: Resolved::Gate(g),
            name: format!("$assign${line}${uid}"),
            ins,
            outs: vec![Some(out)],
            line,
        });
    };
    if let Some((g, ins)) = match_gate(e) {
        gate(g, ins, out, cells, uid);
        return;
    }
    let sub = |x: &Expr, m: &mut Module, cells: &mut Vec<Cell>, uid: &mut usize| -> Sig {
        match x {
            Expr::Sig(s) => *s,
            x => {
                let t = m.new_sigs(&format!("$assign${line}$t{}", m.sig_names.len()), 1);
                build(x, t, m, cells, line, uid);
                t
            }
        }
    };
    match e {
        Expr::Sig(_) => {}
        Expr::Not(x) => {
            let a = sub(x, m, cells, uid);
            gate(Gate::Inv, vec![a], out, cells, uid);
        }
        Expr::Bin(op, a, b) => {
            let (a, b) = (sub(a, m, cells, uid), sub(b, m, cells, uid));
            let g = match op {
                Op::And => Gate::And2,
                Op::Or => Gate::Or2,
                Op::Xor => Gate::Xor2,
                Op::Xnor => Gate::Xnor2,
            };
            gate(g, vec![a, b], out, cells, uid);
        }
        Expr::Mux(c, t, f) => {
            let (c, t, f) = (sub(c, m, cells, uid), sub(t, m, cells, uid), sub(f, m, cells, uid));
            gate(Gate::Mux2, vec![f, t, c], out, cells, uid);
        }
    }
}

pub(crate) fn read(text: &str, file: &str, opts: &ImportOptions) -> Result<Netlist, ImportError> {
    let mut p = Parser::new(text, file);
    let parsed = parse_modules(&mut p);
    // A lexical error ends the token stream; it, not the parse error it causes, is the cause.
    if let Some(e) = p.lex_err.take() {
        return Err(e);
    }
    let mods = parsed?;
    let loc = |line: usize| Loc { file: file.to_string(), line };
    let leaf = |ty: &str| {
        Gate::from_yosys(ty).is_some()
            || Gate::ALL.iter().any(|g| g.name() == ty)
            || opts.cell_types.is_some_and(|f| f(ty).is_some())
    };
    let names: Vec<&str> = mods.iter().map(|m| m.name.as_str()).collect();
    let top_idx = match opts.top {
        Some(t) => named_module(&names, t, loc(0))?,
        None => {
            let roots: Vec<usize> = (0..mods.len())
                .filter(|&i| !leaf(&mods[i].name) && !mods.iter().any(|o| o.insts.iter().any(|c| c.ty == mods[i].name)))
                .collect();
            single_root(&names, &roots, loc(0))?
        }
    };
    let mut mods = mods;
    let mut m = mods.swap_remove(top_idx);
    let others: Vec<String> = mods.iter().map(|x| x.name.clone()).collect();
    for (name, dir) in &m.ports {
        if dir.is_none() {
            return Err(ImportError::Syntax {
                loc: loc(m.line),
                msg: format!("port `{name}` has no direction declaration"),
            });
        }
    }
    // Cells from instances.
    let mut cells: Vec<Cell> = Vec::new();
    let insts = std::mem::take(&mut m.insts);
    for inst in insts {
        let l = loc(inst.line);
        if !leaf(&inst.ty) && others.contains(&inst.ty) {
            return Err(ImportError::Unsupported {
                loc: l,
                msg: format!(
                    "instance `{}` of module `{}`: hierarchical designs are not supported; flatten first (yosys: `flatten` or `synth -flatten`)",
                    inst.name, inst.ty
                ),
            });
        }
        let r = resolve(&inst.ty, opts, &l)?;
        let t = r.cell_type();
        let perr =
            |msg: String| ImportError::Pin { cell: inst.name.clone(), cell_type: inst.ty.clone(), msg, loc: l.clone() };
        for (pin, sigs) in &inst.conns {
            if !t.inputs.contains(pin) && !t.outputs.contains(pin) {
                return Err(perr(format!("unknown pin `{pin}`")));
            }
            if sigs.len() > 1 {
                return Err(ImportError::PortWidth {
                    cell: inst.name.clone(),
                    pin: pin.clone(),
                    expected: 1,
                    found: sigs.len(),
                    loc: l.clone(),
                });
            }
        }
        let conn = |pin: &str| inst.conns.iter().find(|(p, _)| p == pin).and_then(|(_, s)| s.first().copied());
        let mut ins = Vec::new();
        for pin in &t.inputs {
            match conn(pin) {
                Some(s) => ins.push(s),
                None => return Err(perr(format!("input pin `{pin}` is not connected"))),
            }
        }
        let mut outs = Vec::new();
        for pin in &t.outputs {
            match conn(pin) {
                Some(s) if s < 2 => return Err(perr(format!("output pin `{pin}` is connected to a constant"))),
                s => outs.push(s),
            }
        }
        cells.push(Cell { ty: r, name: inst.name, ins, outs, line: inst.line });
    }
    // Assigns: connections (union) or gates.
    let mut uf = Uf((0..m.sig_names.len() as Sig).collect());
    let assigns = std::mem::take(&mut m.assigns);
    let mut uid = 0;
    let mut alias_line: HashMap<Sig, usize> = HashMap::new();
    for (lhs, e, line) in assigns {
        match fold(e) {
            Expr::Sig(s) => {
                // Joining two classes that are both driven is caught below as two drivers.
                alias_line.entry(lhs).or_insert(line);
                if uf.0.len() < m.sig_names.len() {
                    uf.0.extend(uf.0.len() as Sig..m.sig_names.len() as Sig);
                }
                uf.union(lhs, s);
            }
            e => build(&e, lhs, &mut m, &mut cells, line, &mut uid),
        }
    }
    uf.0.extend(uf.0.len() as Sig..m.sig_names.len() as Sig);
    if uf.find(0) == uf.find(1) {
        return Err(ImportError::Netlist(crate::NetlistError::MultipleDrivers {
            net: "1'b0".into(),
            loc: loc(alias_line.values().copied().max().unwrap_or(0)),
        }));
    }
    // Nets: one per class.
    let mut b = NetlistBuilder::new(&m.name);
    let mut nets: HashMap<Sig, NetId> = HashMap::new();
    let mut net = |b: &mut NetlistBuilder, uf: &mut Uf, s: Sig| -> NetId {
        let r = uf.find(s);
        match r {
            0 => CONST0,
            1 => CONST1,
            r => *nets.entry(r).or_insert_with(|| b.add_net(Some(&m.sig_names[r as usize]))),
        }
    };
    let bus_sigs = |m: &Module, name: &str| -> Vec<Sig> {
        m.decls.get(name).map(|d| (0..d.width() as Sig).map(|i| d.base + i).collect()).unwrap_or_default()
    };
    for (name, dir) in &m.ports {
        if *dir == Some(true) {
            let sigs = bus_sigs(&m, name);
            let mut bus = Vec::new();
            for s in sigs {
                let n = net(&mut b, &mut uf, s);
                if n == CONST0 || n == CONST1 {
                    return Err(ImportError::Netlist(crate::NetlistError::MultipleDrivers {
                        net: m.sig_names[s as usize].clone(),
                        loc: loc(alias_line.get(&s).copied().unwrap_or(m.line)),
                    }));
                }
                bus.push(n);
            }
            b.add_input_bus_nets(name, &bus);
        }
    }
    for c in &cells {
        let ins: Vec<NetId> = c.ins.iter().map(|&s| net(&mut b, &mut uf, s)).collect();
        let outs: Vec<NetId> = c
            .outs
            .iter()
            .map(|s| match s {
                Some(s) => net(&mut b, &mut uf, *s),
                None => b.add_net(None),
            })
            .collect();
        let ty = match &c.ty {
            Resolved::Gate(g) => b.gate_type(*g),
            Resolved::Type(t) => b.add_type(t.clone()),
        };
        b.add_cell_full(ty, &ins, &outs, Some(&c.name), loc(c.line));
    }
    for (name, dir) in &m.ports {
        if *dir == Some(false) {
            let sigs = bus_sigs(&m, name);
            let bus: Vec<NetId> = sigs.into_iter().map(|s| net(&mut b, &mut uf, s)).collect();
            b.add_output_bus(name, &bus);
        }
    }
    b.finish_at(file).map_err(ImportError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(src: &str) -> Option<(Gate, Vec<Sig>)> {
        let text = format!("module m(a, b, c, d, y); input a, b, c, d; output y; assign y = {src}; endmodule");
        let mut p = Parser::new(&text, "t.v");
        let m = parse_modules(&mut p).ok()?.pop()?;
        match_gate(&fold(m.assigns[0].1.clone()))
    }

    #[test]
    fn yosys_gate_forms() {
        // Signals: 0/1 constants, then a=2, b=3, c=4, d=5, y=6.
        assert_eq!(one("~(a & b)"), Some((Gate::Nand2, vec![2, 3])));
        assert_eq!(one("a & ~(b)"), Some((Gate::AndNot, vec![2, 3])));
        assert_eq!(one("~b & a"), Some((Gate::AndNot, vec![2, 3])));
        assert_eq!(one("a | ~(b)"), Some((Gate::OrNot, vec![2, 3])));
        assert_eq!(one("~((a & b) | c)"), Some((Gate::Aoi21, vec![2, 3, 4])));
        assert_eq!(one("~((a | b) & c)"), Some((Gate::Oai21, vec![2, 3, 4])));
        assert_eq!(one("~((a & b) | (c & d))"), Some((Gate::Aoi22, vec![2, 3, 4, 5])));
        assert_eq!(one("~((a | b) & (c | d))"), Some((Gate::Oai22, vec![2, 3, 4, 5])));
        // Yosys writes $_MUX_ as `S ? B : A`: here c ? b : a -> MUX2(A=a, B=b, S=c).
        assert_eq!(one("c ? b : a"), Some((Gate::Mux2, vec![2, 3, 4])));
        assert_eq!(one("~(c ? b : a)"), Some((Gate::Nmux2, vec![2, 3, 4])));
        assert_eq!(one("~(a ^ b)"), Some((Gate::Xnor2, vec![2, 3])));
        assert_eq!(one("a ~^ b"), Some((Gate::Xnor2, vec![2, 3])));
        assert_eq!(one("~a"), Some((Gate::Inv, vec![2])));
        assert_eq!(one("(a & b) | c"), None);
    }

    /// The matcher picks what the reader's former search picked: the first
    /// single-output gate of `Gate::ALL`, then its first input order in
    /// lexicographic order whose rewired function is `f`.
    #[test]
    fn gate_matcher_is_the_first_gate_and_the_first_order() {
        let search = |f: TruthTable| {
            let k = f.inputs();
            let mut orders = TruthTable::input_orders(k);
            orders.sort();
            Gate::ALL
                .iter()
                .filter(|g| g.inputs().len() == k && g.outputs().len() == 1)
                .find_map(|&g| orders.iter().find(|w| g.function(0).rewired(w) == Some(f)).map(|w| (g, w.clone())))
        };
        for k in 1..=3usize {
            for bits in 0..1u64 << (1 << k) {
                let f = TruthTable::new(k, bits).unwrap();
                assert_eq!(gate_matcher().find(f).map(|(g, w)| (g, w.to_vec())), search(f), "{}", f.to_hex());
            }
        }
        for g in Gate::ALL.iter().filter(|g| g.inputs().len() == 4 && g.outputs().len() == 1) {
            for w in TruthTable::input_orders(4) {
                let f = g.function(0).rewired(&w).unwrap();
                assert_eq!(gate_matcher().find(f).map(|(g, w)| (g, w.to_vec())), search(f), "{}", f.to_hex());
            }
        }
    }
}
