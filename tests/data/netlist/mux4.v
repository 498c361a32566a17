// 4:1 multiplexer tree of $_MUX_-style assigns, and its inverse via NMUX, with
// a concatenation on the output (non-ANSI ports).
module mux4(d, s, y, yn);
  input [3:0] d;
  input [1:0] s;
  output y, yn;
  wire lo, hi;
  assign lo = s[0] ? d[1] : d[0];
  assign hi = s[0] ? d[3] : d[2];
  assign {yn, y} = {~(s[1] ? hi : lo), s[1] ? hi : lo};
endmodule
