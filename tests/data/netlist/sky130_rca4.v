// 4-bit ripple-carry adder mapped to SKY130 cells (foundry pin names).
module sky130_rca4(input [3:0] a, input [3:0] b, output [4:0] y);
  wire c1, c2, c3;
  sky130_fd_sc_hd__ha_1 h0 (.A(a[0]), .B(b[0]), .SUM(y[0]), .COUT(c1));
  sky130_fd_sc_hd__fa_1 f1 (.A(a[1]), .B(b[1]), .CIN(c1), .SUM(y[1]), .COUT(c2));
  sky130_fd_sc_hd__fa_1 f2 (.A(a[2]), .B(b[2]), .CIN(c2), .SUM(y[2]), .COUT(c3));
  sky130_fd_sc_hd__fa_1 f3 (.A(a[3]), .B(b[3]), .CIN(c3), .SUM(y[3]), .COUT(y[4]));
endmodule
