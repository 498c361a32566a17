module inner(input a, output y);
  assign y = ~a;
endmodule
module outer(input a, output y);
  inner u (.a(a), .y(y));
endmodule
