// 4-bit ripple-carry adder from abstract FA cells (tosim type names), named ports.
module ripple4(input [3:0] a, input [3:0] b, input ci, output [3:0] s, output co);
  wire c1, c2, c3;
  FA f0 (.A(a[0]), .B(b[0]), .CI(ci), .S(s[0]), .CO(c1));
  FA f1 (.A(a[1]), .B(b[1]), .CI(c1), .S(s[1]), .CO(c2));
  FA f2 (.A(a[2]), .B(b[2]), .CI(c2), .S(s[2]), .CO(c3));
  FA f3 (.A(a[3]), .B(b[3]), .CI(c3), .S(s[3]), .CO(co));
endmodule
