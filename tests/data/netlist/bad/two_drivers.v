module two_drivers(input a, input b, output y);
  wire t;
  NAND2 g1 (.A(a), .B(b), .Y(t));
  NOR2 g2 (.A(a), .B(b), .Y(t));
  assign y = t;
endmodule
