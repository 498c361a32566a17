module width(input [1:0] a, input b, output y);
  NAND2 g1 (.A(a), .B(b), .Y(y));
endmodule
