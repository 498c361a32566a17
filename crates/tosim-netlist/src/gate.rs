//! Abstract cells: the logic functions netlists are made of, before they are
//! bound to transistor-level templates.

use tosim_cells::TruthTable;

/// The function and pins of one kind of cell in a netlist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CellType {
    /// Type name (`FA`, `$_AND_`, `sky130_fd_sc_hd__fa_1`, …).
    pub name: String,
    /// Input pin names in order.
    pub inputs: Vec<String>,
    /// Output pin names in order.
    pub outputs: Vec<String>,
    /// Per output: its function of the inputs (input `i` = row bit `i`).
    pub functions: Vec<TruthTable>,
}

macro_rules! gates {
    ($( $(#[$doc:meta])* $var:ident = $name:literal, [$($i:literal),*] -> [$($o:literal),*], |$r:ident| [$($f:expr),*] ;)*) => {
        /// Abstract cells that generators and importers use.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Gate { $( $(#[$doc])* $var, )* }

        impl Gate {
            /// Every abstract cell.
            pub const ALL: &'static [Gate] = &[$(Gate::$var),*];

            /// Canonical name, as used in library bindings.
            pub fn name(self) -> &'static str {
                match self { $(Gate::$var => $name,)* }
            }

            /// Input pin names.
            pub fn inputs(self) -> &'static [&'static str] {
                match self { $(Gate::$var => &[$($i),*],)* }
            }

            /// Output pin names.
            pub fn outputs(self) -> &'static [&'static str] {
                match self { $(Gate::$var => &[$($o),*],)* }
            }

            /// Output `o` for the input row `r` (input `i` = bit `i`).
            fn eval_row(self, o: usize, r: u32) -> bool {
                let bit = |i: u32| r >> i & 1 == 1;
                let _ = &bit;
                match self { $(Gate::$var => { let $r = bit; let outs: &[bool] = &[$($f),*]; outs[o] })* }
            }
        }
    };
}

gates! {
    /// Y = !A
    Inv = "INV", ["A"] -> ["Y"], |x| [!x(0)];
    /// Y = A
    Buf = "BUF", ["A"] -> ["Y"], |x| [x(0)];
    /// Y = !(A & B)
    Nand2 = "NAND2", ["A", "B"] -> ["Y"], |x| [!(x(0) & x(1))];
    /// Y = !(A & B & C)
    Nand3 = "NAND3", ["A", "B", "C"] -> ["Y"], |x| [!(x(0) & x(1) & x(2))];
    /// Y = !(A & B & C & D)
    Nand4 = "NAND4", ["A", "B", "C", "D"] -> ["Y"], |x| [!(x(0) & x(1) & x(2) & x(3))];
    /// Y = !(A | B)
    Nor2 = "NOR2", ["A", "B"] -> ["Y"], |x| [!(x(0) | x(1))];
    /// Y = !(A | B | C)
    Nor3 = "NOR3", ["A", "B", "C"] -> ["Y"], |x| [!(x(0) | x(1) | x(2))];
    /// Y = !(A | B | C | D)
    Nor4 = "NOR4", ["A", "B", "C", "D"] -> ["Y"], |x| [!(x(0) | x(1) | x(2) | x(3))];
    /// Y = A & B
    And2 = "AND2", ["A", "B"] -> ["Y"], |x| [x(0) & x(1)];
    /// Y = A & B & C
    And3 = "AND3", ["A", "B", "C"] -> ["Y"], |x| [x(0) & x(1) & x(2)];
    /// Y = A & B & C & D
    And4 = "AND4", ["A", "B", "C", "D"] -> ["Y"], |x| [x(0) & x(1) & x(2) & x(3)];
    /// Y = A | B
    Or2 = "OR2", ["A", "B"] -> ["Y"], |x| [x(0) | x(1)];
    /// Y = A | B | C
    Or3 = "OR3", ["A", "B", "C"] -> ["Y"], |x| [x(0) | x(1) | x(2)];
    /// Y = A | B | C | D
    Or4 = "OR4", ["A", "B", "C", "D"] -> ["Y"], |x| [x(0) | x(1) | x(2) | x(3)];
    /// Y = A ^ B
    Xor2 = "XOR2", ["A", "B"] -> ["Y"], |x| [x(0) ^ x(1)];
    /// Y = !(A ^ B)
    Xnor2 = "XNOR2", ["A", "B"] -> ["Y"], |x| [!(x(0) ^ x(1))];
    /// Y = A & !B (Yosys `$_ANDNOT_`)
    AndNot = "ANDNOT", ["A", "B"] -> ["Y"], |x| [x(0) & !x(1)];
    /// Y = A | !B (Yosys `$_ORNOT_`)
    OrNot = "ORNOT", ["A", "B"] -> ["Y"], |x| [x(0) | !x(1)];
    /// Y = !((A & B) | C) (Yosys `$_AOI3_`)
    Aoi21 = "AOI21", ["A", "B", "C"] -> ["Y"], |x| [!((x(0) & x(1)) | x(2))];
    /// Y = !((A | B) & C) (Yosys `$_OAI3_`)
    Oai21 = "OAI21", ["A", "B", "C"] -> ["Y"], |x| [!((x(0) | x(1)) & x(2))];
    /// Y = !((A & B) | (C & D)) (Yosys `$_AOI4_`)
    Aoi22 = "AOI22", ["A", "B", "C", "D"] -> ["Y"], |x| [!((x(0) & x(1)) | (x(2) & x(3)))];
    /// Y = !((A | B) & (C | D)) (Yosys `$_OAI4_`)
    Oai22 = "OAI22", ["A", "B", "C", "D"] -> ["Y"], |x| [!((x(0) | x(1)) & (x(2) | x(3)))];
    /// Y = S ? B : A (Yosys `$_MUX_`)
    Mux2 = "MUX2", ["A", "B", "S"] -> ["Y"], |x| [if x(2) { x(1) } else { x(0) }];
    /// Y = !(S ? B : A) (Yosys `$_NMUX_`)
    Nmux2 = "NMUX2", ["A", "B", "S"] -> ["Y"], |x| [!(if x(2) { x(1) } else { x(0) })];
    /// Y = majority(A, B, C)
    Maj3 = "MAJ3", ["A", "B", "C"] -> ["Y"], |x| [(x(0) & x(1)) | (x(0) & x(2)) | (x(1) & x(2))];
    /// S = A ^ B, CO = A & B
    Ha = "HA", ["A", "B"] -> ["S", "CO"], |x| [x(0) ^ x(1), x(0) & x(1)];
    /// S = A ^ B ^ CI, CO = majority(A, B, CI)
    Fa = "FA", ["A", "B", "CI"] -> ["S", "CO"], |x| [x(0) ^ x(1) ^ x(2), (x(0) & x(1)) | (x(0) & x(2)) | (x(1) & x(2))];
}

impl Gate {
    /// The gate called `name` (canonical names, case-insensitive).
    pub fn from_name(name: &str) -> Option<Gate> {
        Gate::ALL.iter().copied().find(|g| g.name().eq_ignore_ascii_case(name))
    }

    /// The gate a Yosys internal cell type (`$_AND_` …) denotes.
    pub fn from_yosys(ty: &str) -> Option<Gate> {
        Some(match ty {
            "$_NOT_" => Gate::Inv,
            "$_BUF_" => Gate::Buf,
            "$_AND_" => Gate::And2,
            "$_OR_" => Gate::Or2,
            "$_XOR_" => Gate::Xor2,
            "$_NAND_" => Gate::Nand2,
            "$_NOR_" => Gate::Nor2,
            "$_XNOR_" => Gate::Xnor2,
            "$_ANDNOT_" => Gate::AndNot,
            "$_ORNOT_" => Gate::OrNot,
            "$_MUX_" => Gate::Mux2,
            "$_NMUX_" => Gate::Nmux2,
            "$_AOI3_" => Gate::Aoi21,
            "$_OAI3_" => Gate::Oai21,
            "$_AOI4_" => Gate::Aoi22,
            "$_OAI4_" => Gate::Oai22,
            _ => return None,
        })
    }

    /// The function of output `o`.
    pub fn function(self, o: usize) -> TruthTable {
        let n = self.inputs().len();
        TruthTable::from_fn(n, |r| self.eval_row(o, r)).expect("abstract gates have at most 4 inputs")
    }

    /// The [`CellType`] of this gate.
    pub fn cell_type(self) -> CellType {
        CellType {
            name: self.name().to_string(),
            inputs: self.inputs().iter().map(|s| s.to_string()).collect(),
            outputs: self.outputs().iter().map(|s| s.to_string()).collect(),
            functions: (0..self.outputs().len()).map(|o| self.function(o)).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truth_tables_by_hand() {
        // Row r: input i = bit i. NAND2 is 0 only at row 3 -> 0b0111.
        assert_eq!(Gate::Nand2.function(0).bits(), 0b0111);
        // MUX2 (A,B,S): rows with S=0 (0..3) give A = bit0 -> rows 1,3; S=1 (4..7) give B = bit1 -> rows 6,7.
        assert_eq!(Gate::Mux2.function(0).bits(), 0b1100_1010);
        // FA carry: majority -> rows 3,5,6,7; sum: odd parity -> rows 1,2,4,7.
        assert_eq!(Gate::Fa.function(1).bits(), 0b1110_1000);
        assert_eq!(Gate::Fa.function(0).bits(), 0b1001_0110);
        for g in Gate::ALL {
            assert_eq!(Gate::from_name(g.name()), Some(*g));
        }
    }
}
