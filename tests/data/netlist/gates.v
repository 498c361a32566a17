// One of each Yosys-costed gate, written the way `yosys write_verilog -noattr`
// writes them, plus a buffer through a plain wire (a connection, not a cell).
module gates(a, b, c, d, y);
  input [3:0] a;
  input [3:0] b;
  input c, d;
  output [15:0] y;
  wire t;
  assign y[0] = ~a[0];
  assign y[1] = ~(a[0] & b[0]);
  assign y[2] = ~(a[1] | b[1]);
  assign y[3] = a[2] & b[2];
  assign y[4] = a[3] | b[3];
  assign y[5] = a[0] ^ b[1];
  assign y[6] = ~(a[1] ^ b[2]);
  assign y[7] = a[2] & ~(b[3]);
  assign y[8] = a[3] | ~(b[0]);
  assign y[9] = c ? b[1] : a[1];
  assign y[10] = ~(d ? b[2] : a[2]);
  assign y[11] = ~((a[0] & b[0]) | c);
  assign y[12] = ~((a[1] | b[1]) & d);
  assign y[13] = ~((a[2] & b[2]) | (c & d));
  assign t = ~((a[3] | b[3]) & (c | d));
  assign y[14] = t;
  assign y[15] = 1'b0;
endmodule
