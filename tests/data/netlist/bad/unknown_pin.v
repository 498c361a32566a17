module unknown_pin(input a, input b, output y);
  NAND2 g1 (.A(a), .B(b), .Q(y));
endmodule
