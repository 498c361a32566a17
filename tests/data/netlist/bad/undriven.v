module undriven(input a, output y);
  wire floating;
  NAND2 g1 (.A(a), .B(floating), .Y(y));
endmodule
