module unknown_cell(input a, input b, output y);
  NAND2 g1 (.A(a), .B(b), .Y(y));
  FANCY9 g2 (.A(a), .B(b));
endmodule
