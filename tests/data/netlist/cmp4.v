// 4-bit equality and a >= b (unsigned), with multi-operator expressions that
// the reader breaks into one gate per operator.
module cmp4(input [3:0] a, input [3:0] b, output eq, output ge);
  wire [3:0] e;
  wire [3:0] g;
  assign e = ~(a ^ b);
  assign g = a & ~b;
  assign eq = e[0] & e[1] & e[2] & e[3];
  assign ge = g[3] | (e[3] & g[2]) | (e[3] & e[2] & g[1]) | (e[3] & e[2] & e[1] & (g[0] | e[0]));
endmodule
