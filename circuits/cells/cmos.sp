* tosim textbook static-CMOS cell library.
*
* Every cell is complementary static CMOS: each stage is an n pull-down network
* and its dual (or, for the mirror cells, identical) p pull-up network; every
* stage inverts. Pins: inputs A B C D (MUX2/NMUX2: A B S; FA: A B CI), outputs
* Y (HA/FA: S CO), then the supplies VDD VSS. Transistor counts, functions and
* gate loads are derived from this file by `tosim cells`; no count is typed
* anywhere else. See circuits/cells/README.md and docs/cells.md.
*
* Sizing (a 130 nm-class process, L = 0.15 um): a single n device is 0.42 um
* wide, a single p device 0.84 um (2x, for the lower hole mobility); a device
* in a series stack of k is k times wider, so every pull network has the
* drive of the reference inverter.
*
* Yosys `stat -tech cmos` names: INV = $_NOT_, BUF = $_BUF_, NAND2 = $_NAND_,
* NOR2 = $_NOR_, AND2 = $_AND_, OR2 = $_OR_, XOR2 = $_XOR_, XNOR2 = $_XNOR_,
* ANDNOT = $_ANDNOT_, ORNOT = $_ORNOT_, AOI21 = $_AOI3_, OAI21 = $_OAI3_,
* AOI22 = $_AOI4_, OAI22 = $_OAI4_, MUX2 = $_MUX_, NMUX2 = $_NMUX_.

* ---------------------------------------------------------------- inverters

* INV, 2T: the static CMOS inverter. Y = !A
.subckt INV A Y VDD VSS
MP1 Y A VDD VDD pmos w=0.84u l=0.15u
MN1 Y A VSS VSS nmos w=0.42u l=0.15u
.ends INV

* BUF, 4T: two inverters in series. Y = A
.subckt BUF A Y VDD VSS
MP1 an A VDD VDD pmos w=0.84u l=0.15u
MN1 an A VSS VSS nmos w=0.42u l=0.15u
MP2 Y an VDD VDD pmos w=0.84u l=0.15u
MN2 Y an VSS VSS nmos w=0.42u l=0.15u
.ends BUF

* ---------------------------------------------------------------- NAND / NOR

* NAND2, 4T: parallel p pull-up, series n pull-down. Y = !(A & B)
.subckt NAND2 A B Y VDD VSS
MP1 Y A VDD VDD pmos w=0.84u l=0.15u
MP2 Y B VDD VDD pmos w=0.84u l=0.15u
MN1 Y A n1 VSS nmos w=0.84u l=0.15u
MN2 n1 B VSS VSS nmos w=0.84u l=0.15u
.ends NAND2

* NAND3, 6T: three parallel p, three series n. Y = !(A & B & C)
.subckt NAND3 A B C Y VDD VSS
MP1 Y A VDD VDD pmos w=0.84u l=0.15u
MP2 Y B VDD VDD pmos w=0.84u l=0.15u
MP3 Y C VDD VDD pmos w=0.84u l=0.15u
MN1 Y A n1 VSS nmos w=1.26u l=0.15u
MN2 n1 B n2 VSS nmos w=1.26u l=0.15u
MN3 n2 C VSS VSS nmos w=1.26u l=0.15u
.ends NAND3

* NAND4, 8T: four parallel p, four series n. Y = !(A & B & C & D)
.subckt NAND4 A B C D Y VDD VSS
MP1 Y A VDD VDD pmos w=0.84u l=0.15u
MP2 Y B VDD VDD pmos w=0.84u l=0.15u
MP3 Y C VDD VDD pmos w=0.84u l=0.15u
MP4 Y D VDD VDD pmos w=0.84u l=0.15u
MN1 Y A n1 VSS nmos w=1.68u l=0.15u
MN2 n1 B n2 VSS nmos w=1.68u l=0.15u
MN3 n2 C n3 VSS nmos w=1.68u l=0.15u
MN4 n3 D VSS VSS nmos w=1.68u l=0.15u
.ends NAND4

* NOR2, 4T: series p pull-up, parallel n pull-down. Y = !(A | B)
.subckt NOR2 A B Y VDD VSS
MP1 p1 A VDD VDD pmos w=1.68u l=0.15u
MP2 Y B p1 VDD pmos w=1.68u l=0.15u
MN1 Y A VSS VSS nmos w=0.42u l=0.15u
MN2 Y B VSS VSS nmos w=0.42u l=0.15u
.ends NOR2

* NOR3, 6T: three series p, three parallel n. Y = !(A | B | C)
.subckt NOR3 A B C Y VDD VSS
MP1 p1 A VDD VDD pmos w=2.52u l=0.15u
MP2 p2 B p1 VDD pmos w=2.52u l=0.15u
MP3 Y C p2 VDD pmos w=2.52u l=0.15u
MN1 Y A VSS VSS nmos w=0.42u l=0.15u
MN2 Y B VSS VSS nmos w=0.42u l=0.15u
MN3 Y C VSS VSS nmos w=0.42u l=0.15u
.ends NOR3

* NOR4, 8T: four series p, four parallel n. Y = !(A | B | C | D)
.subckt NOR4 A B C D Y VDD VSS
MP1 p1 A VDD VDD pmos w=3.36u l=0.15u
MP2 p2 B p1 VDD pmos w=3.36u l=0.15u
MP3 p3 C p2 VDD pmos w=3.36u l=0.15u
MP4 Y D p3 VDD pmos w=3.36u l=0.15u
MN1 Y A VSS VSS nmos w=0.42u l=0.15u
MN2 Y B VSS VSS nmos w=0.42u l=0.15u
MN3 Y C VSS VSS nmos w=0.42u l=0.15u
MN4 Y D VSS VSS nmos w=0.42u l=0.15u
.ends NOR4

* ---------------------------------------------------------------- AND / OR

* AND2, 6T: NAND2 followed by an inverter. Y = A & B
.subckt AND2 A B Y VDD VSS
MP1 yn A VDD VDD pmos w=0.84u l=0.15u
MP2 yn B VDD VDD pmos w=0.84u l=0.15u
MN1 yn A n1 VSS nmos w=0.84u l=0.15u
MN2 n1 B VSS VSS nmos w=0.84u l=0.15u
MP3 Y yn VDD VDD pmos w=0.84u l=0.15u
MN3 Y yn VSS VSS nmos w=0.42u l=0.15u
.ends AND2

* AND3, 8T: NAND3 followed by an inverter. Y = A & B & C
.subckt AND3 A B C Y VDD VSS
MP1 yn A VDD VDD pmos w=0.84u l=0.15u
MP2 yn B VDD VDD pmos w=0.84u l=0.15u
MP3 yn C VDD VDD pmos w=0.84u l=0.15u
MN1 yn A n1 VSS nmos w=1.26u l=0.15u
MN2 n1 B n2 VSS nmos w=1.26u l=0.15u
MN3 n2 C VSS VSS nmos w=1.26u l=0.15u
MP4 Y yn VDD VDD pmos w=0.84u l=0.15u
MN4 Y yn VSS VSS nmos w=0.42u l=0.15u
.ends AND3

* AND4, 10T: NAND4 followed by an inverter. Y = A & B & C & D
.subckt AND4 A B C D Y VDD VSS
MP1 yn A VDD VDD pmos w=0.84u l=0.15u
MP2 yn B VDD VDD pmos w=0.84u l=0.15u
MP3 yn C VDD VDD pmos w=0.84u l=0.15u
MP4 yn D VDD VDD pmos w=0.84u l=0.15u
MN1 yn A n1 VSS nmos w=1.68u l=0.15u
MN2 n1 B n2 VSS nmos w=1.68u l=0.15u
MN3 n2 C n3 VSS nmos w=1.68u l=0.15u
MN4 n3 D VSS VSS nmos w=1.68u l=0.15u
MP5 Y yn VDD VDD pmos w=0.84u l=0.15u
MN5 Y yn VSS VSS nmos w=0.42u l=0.15u
.ends AND4

* OR2, 6T: NOR2 followed by an inverter. Y = A | B
.subckt OR2 A B Y VDD VSS
MP1 p1 A VDD VDD pmos w=1.68u l=0.15u
MP2 yn B p1 VDD pmos w=1.68u l=0.15u
MN1 yn A VSS VSS nmos w=0.42u l=0.15u
MN2 yn B VSS VSS nmos w=0.42u l=0.15u
MP3 Y yn VDD VDD pmos w=0.84u l=0.15u
MN3 Y yn VSS VSS nmos w=0.42u l=0.15u
.ends OR2

* OR3, 8T: NOR3 followed by an inverter. Y = A | B | C
.subckt OR3 A B C Y VDD VSS
MP1 p1 A VDD VDD pmos w=2.52u l=0.15u
MP2 p2 B p1 VDD pmos w=2.52u l=0.15u
MP3 yn C p2 VDD pmos w=2.52u l=0.15u
MN1 yn A VSS VSS nmos w=0.42u l=0.15u
MN2 yn B VSS VSS nmos w=0.42u l=0.15u
MN3 yn C VSS VSS nmos w=0.42u l=0.15u
MP4 Y yn VDD VDD pmos w=0.84u l=0.15u
MN4 Y yn VSS VSS nmos w=0.42u l=0.15u
.ends OR3

* OR4, 10T: NOR4 followed by an inverter. Y = A | B | C | D
.subckt OR4 A B C D Y VDD VSS
MP1 p1 A VDD VDD pmos w=3.36u l=0.15u
MP2 p2 B p1 VDD pmos w=3.36u l=0.15u
MP3 p3 C p2 VDD pmos w=3.36u l=0.15u
MP4 yn D p3 VDD pmos w=3.36u l=0.15u
MN1 yn A VSS VSS nmos w=0.42u l=0.15u
MN2 yn B VSS VSS nmos w=0.42u l=0.15u
MN3 yn C VSS VSS nmos w=0.42u l=0.15u
MN4 yn D VSS VSS nmos w=0.42u l=0.15u
MP5 Y yn VDD VDD pmos w=0.84u l=0.15u
MN5 Y yn VSS VSS nmos w=0.42u l=0.15u
.ends OR4

* ---------------------------------------------------------------- one inverted input

* ANDNOT, 6T: input inverter on A, then NOR2. Y = A & !B = !(!A | B)
.subckt ANDNOT A B Y VDD VSS
MP1 an A VDD VDD pmos w=0.84u l=0.15u
MN1 an A VSS VSS nmos w=0.42u l=0.15u
MP2 p1 an VDD VDD pmos w=1.68u l=0.15u
MP3 Y B p1 VDD pmos w=1.68u l=0.15u
MN2 Y an VSS VSS nmos w=0.42u l=0.15u
MN3 Y B VSS VSS nmos w=0.42u l=0.15u
.ends ANDNOT

* ORNOT, 6T: input inverter on A, then NAND2. Y = A | !B = !(!A & B)
.subckt ORNOT A B Y VDD VSS
MP1 an A VDD VDD pmos w=0.84u l=0.15u
MN1 an A VSS VSS nmos w=0.42u l=0.15u
MP2 Y an VDD VDD pmos w=0.84u l=0.15u
MP3 Y B VDD VDD pmos w=0.84u l=0.15u
MN2 Y an n1 VSS nmos w=0.84u l=0.15u
MN3 n1 B VSS VSS nmos w=0.84u l=0.15u
.ends ORNOT

* ---------------------------------------------------------------- AND-OR-invert

* AOI21, 6T: one complex gate; n: (A series B) parallel C; p: (A parallel B)
* series C. Y = !((A & B) | C)
.subckt AOI21 A B C Y VDD VSS
MP1 p1 A VDD VDD pmos w=1.68u l=0.15u
MP2 p1 B VDD VDD pmos w=1.68u l=0.15u
MP3 Y C p1 VDD pmos w=1.68u l=0.15u
MN1 Y A n1 VSS nmos w=0.84u l=0.15u
MN2 n1 B VSS VSS nmos w=0.84u l=0.15u
MN3 Y C VSS VSS nmos w=0.42u l=0.15u
.ends AOI21

* OAI21, 6T: one complex gate; n: (A parallel B) series C; p: (A series B)
* parallel C. Y = !((A | B) & C)
.subckt OAI21 A B C Y VDD VSS
MP1 p1 A VDD VDD pmos w=1.68u l=0.15u
MP2 Y B p1 VDD pmos w=1.68u l=0.15u
MP3 Y C VDD VDD pmos w=0.84u l=0.15u
MN1 Y A n1 VSS nmos w=0.84u l=0.15u
MN2 Y B n1 VSS nmos w=0.84u l=0.15u
MN3 n1 C VSS VSS nmos w=0.84u l=0.15u
.ends OAI21

* AOI22, 8T: one complex gate; n: (A series B) parallel (C series D); p:
* (A parallel B) series (C parallel D). Y = !((A & B) | (C & D))
.subckt AOI22 A B C D Y VDD VSS
MP1 p1 A VDD VDD pmos w=1.68u l=0.15u
MP2 p1 B VDD VDD pmos w=1.68u l=0.15u
MP3 Y C p1 VDD pmos w=1.68u l=0.15u
MP4 Y D p1 VDD pmos w=1.68u l=0.15u
MN1 Y A n1 VSS nmos w=0.84u l=0.15u
MN2 n1 B VSS VSS nmos w=0.84u l=0.15u
MN3 Y C n2 VSS nmos w=0.84u l=0.15u
MN4 n2 D VSS VSS nmos w=0.84u l=0.15u
.ends AOI22

* OAI22, 8T: one complex gate; n: (A parallel B) series (C parallel D); p:
* (A series B) parallel (C series D). Y = !((A | B) & (C | D))
.subckt OAI22 A B C D Y VDD VSS
MP1 p1 A VDD VDD pmos w=1.68u l=0.15u
MP2 Y B p1 VDD pmos w=1.68u l=0.15u
MP3 p2 C VDD VDD pmos w=1.68u l=0.15u
MP4 Y D p2 VDD pmos w=1.68u l=0.15u
MN1 Y A n1 VSS nmos w=0.84u l=0.15u
MN2 Y B n1 VSS nmos w=0.84u l=0.15u
MN3 n1 C VSS VSS nmos w=0.84u l=0.15u
MN4 n1 D VSS VSS nmos w=0.84u l=0.15u
.ends OAI22

* ---------------------------------------------------------------- XOR / XNOR

* XOR2, 12T: two input inverters and an 8T AOI22 complex gate.
* Y = !(A & B | !A & !B) = A ^ B
.subckt XOR2 A B Y VDD VSS
MP1 an A VDD VDD pmos w=0.84u l=0.15u
MN1 an A VSS VSS nmos w=0.42u l=0.15u
MP2 bn B VDD VDD pmos w=0.84u l=0.15u
MN2 bn B VSS VSS nmos w=0.42u l=0.15u
MP3 p1 A VDD VDD pmos w=1.68u l=0.15u
MP4 p1 B VDD VDD pmos w=1.68u l=0.15u
MP5 Y an p1 VDD pmos w=1.68u l=0.15u
MP6 Y bn p1 VDD pmos w=1.68u l=0.15u
MN3 Y A n1 VSS nmos w=0.84u l=0.15u
MN4 n1 B VSS VSS nmos w=0.84u l=0.15u
MN5 Y an n2 VSS nmos w=0.84u l=0.15u
MN6 n2 bn VSS VSS nmos w=0.84u l=0.15u
.ends XOR2

* XNOR2, 12T: two input inverters and an 8T AOI22 complex gate.
* Y = !(A & !B | !A & B) = !(A ^ B)
.subckt XNOR2 A B Y VDD VSS
MP1 an A VDD VDD pmos w=0.84u l=0.15u
MN1 an A VSS VSS nmos w=0.42u l=0.15u
MP2 bn B VDD VDD pmos w=0.84u l=0.15u
MN2 bn B VSS VSS nmos w=0.42u l=0.15u
MP3 p1 A VDD VDD pmos w=1.68u l=0.15u
MP4 p1 bn VDD VDD pmos w=1.68u l=0.15u
MP5 Y an p1 VDD pmos w=1.68u l=0.15u
MP6 Y B p1 VDD pmos w=1.68u l=0.15u
MN3 Y A n1 VSS nmos w=0.84u l=0.15u
MN4 n1 bn VSS VSS nmos w=0.84u l=0.15u
MN5 Y an n2 VSS nmos w=0.84u l=0.15u
MN6 n2 B VSS VSS nmos w=0.84u l=0.15u
.ends XNOR2

* ---------------------------------------------------------------- multiplexers

* MUX2, 12T static: select inverter, AOI22 (A & !S | B & S), output inverter.
* Y = S ? B : A
.subckt MUX2 A B S Y VDD VSS
MP1 sn S VDD VDD pmos w=0.84u l=0.15u
MN1 sn S VSS VSS nmos w=0.42u l=0.15u
MP2 p1 A VDD VDD pmos w=1.68u l=0.15u
MP3 p1 sn VDD VDD pmos w=1.68u l=0.15u
MP4 yn B p1 VDD pmos w=1.68u l=0.15u
MP5 yn S p1 VDD pmos w=1.68u l=0.15u
MN2 yn A n1 VSS nmos w=0.84u l=0.15u
MN3 n1 sn VSS VSS nmos w=0.84u l=0.15u
MN4 yn B n2 VSS nmos w=0.84u l=0.15u
MN5 n2 S VSS VSS nmos w=0.84u l=0.15u
MP6 Y yn VDD VDD pmos w=0.84u l=0.15u
MN6 Y yn VSS VSS nmos w=0.42u l=0.15u
.ends MUX2

* NMUX2, 10T: select inverter and AOI22 (A & !S | B & S).
* Y = !(S ? B : A)
.subckt NMUX2 A B S Y VDD VSS
MP1 sn S VDD VDD pmos w=0.84u l=0.15u
MN1 sn S VSS VSS nmos w=0.42u l=0.15u
MP2 p1 A VDD VDD pmos w=1.68u l=0.15u
MP3 p1 sn VDD VDD pmos w=1.68u l=0.15u
MP4 Y B p1 VDD pmos w=1.68u l=0.15u
MP5 Y S p1 VDD pmos w=1.68u l=0.15u
MN2 Y A n1 VSS nmos w=0.84u l=0.15u
MN3 n1 sn VSS VSS nmos w=0.84u l=0.15u
MN4 Y B n2 VSS nmos w=0.84u l=0.15u
MN5 n2 S VSS VSS nmos w=0.84u l=0.15u
.ends NMUX2

* ---------------------------------------------------------------- arithmetic

* MAJ3, 12T: the mirror majority (carry) gate of the mirror adder, 10T, and an
* output inverter. Pull-down: (A series B) parallel (C series (A parallel B));
* the pull-up is the same network of p devices (a mirror, not the dual:
* majority is self-dual). Y = A & B | A & C | B & C
.subckt MAJ3 A B C Y VDD VSS
MP1 p1 A VDD VDD pmos w=1.68u l=0.15u
MP2 yn B p1 VDD pmos w=1.68u l=0.15u
MP3 p2 A VDD VDD pmos w=1.68u l=0.15u
MP4 p2 B VDD VDD pmos w=1.68u l=0.15u
MP5 yn C p2 VDD pmos w=1.68u l=0.15u
MN1 yn A n1 VSS nmos w=0.84u l=0.15u
MN2 n1 B VSS VSS nmos w=0.84u l=0.15u
MN3 yn C n2 VSS nmos w=0.84u l=0.15u
MN4 n2 A VSS VSS nmos w=0.84u l=0.15u
MN5 n2 B VSS VSS nmos w=0.84u l=0.15u
MP6 Y yn VDD VDD pmos w=0.84u l=0.15u
MN6 Y yn VSS VSS nmos w=0.42u l=0.15u
.ends MAJ3

* HA, 18T: XOR2 (12T, as above) and AND2 (6T, as above) side by side, the
* same transistors as Yosys' $_XOR_ + $_AND_. S = A ^ B, CO = A & B
.subckt HA A B S CO VDD VSS
MP1 an A VDD VDD pmos w=0.84u l=0.15u
MN1 an A VSS VSS nmos w=0.42u l=0.15u
MP2 bn B VDD VDD pmos w=0.84u l=0.15u
MN2 bn B VSS VSS nmos w=0.42u l=0.15u
MP3 p1 A VDD VDD pmos w=1.68u l=0.15u
MP4 p1 B VDD VDD pmos w=1.68u l=0.15u
MP5 S an p1 VDD pmos w=1.68u l=0.15u
MP6 S bn p1 VDD pmos w=1.68u l=0.15u
MN3 S A n1 VSS nmos w=0.84u l=0.15u
MN4 n1 B VSS VSS nmos w=0.84u l=0.15u
MN5 S an n2 VSS nmos w=0.84u l=0.15u
MN6 n2 bn VSS VSS nmos w=0.84u l=0.15u
MP7 con A VDD VDD pmos w=0.84u l=0.15u
MP8 con B VDD VDD pmos w=0.84u l=0.15u
MN7 con A n3 VSS nmos w=0.84u l=0.15u
MN8 n3 B VSS VSS nmos w=0.84u l=0.15u
MP9 CO con VDD VDD pmos w=0.84u l=0.15u
MN9 CO con VSS VSS nmos w=0.42u l=0.15u
.ends HA

* FA, 28T: the mirror adder (Weste & Harris, "CMOS VLSI Design", fig. 11.4).
* Carry stage, 10T: con = !(A & B | CI & (A | B)) = !CO (mirror majority).
* Sum stage, 14T: sn = !(A & B & CI | con & (A | B | CI)) = !S; pull-down
* (A series B series CI) parallel (con series (A parallel B parallel CI)), the
* pull-up the same network of p devices.
* Two output inverters, 4T. S = A ^ B ^ CI, CO = MAJ(A, B, CI)
.subckt FA A B CI S CO VDD VSS
* carry
MP1 p1 A VDD VDD pmos w=1.68u l=0.15u
MP2 con B p1 VDD pmos w=1.68u l=0.15u
MP3 p2 A VDD VDD pmos w=1.68u l=0.15u
MP4 p2 B VDD VDD pmos w=1.68u l=0.15u
MP5 con CI p2 VDD pmos w=1.68u l=0.15u
MN1 con A n1 VSS nmos w=0.84u l=0.15u
MN2 n1 B VSS VSS nmos w=0.84u l=0.15u
MN3 con CI n2 VSS nmos w=0.84u l=0.15u
MN4 n2 A VSS VSS nmos w=0.84u l=0.15u
MN5 n2 B VSS VSS nmos w=0.84u l=0.15u
* sum
MP6 p3 A VDD VDD pmos w=2.52u l=0.15u
MP7 p4 B p3 VDD pmos w=2.52u l=0.15u
MP8 sn CI p4 VDD pmos w=2.52u l=0.15u
MP9 p5 A VDD VDD pmos w=1.68u l=0.15u
MP10 p5 B VDD VDD pmos w=1.68u l=0.15u
MP11 p5 CI VDD VDD pmos w=1.68u l=0.15u
MP12 sn con p5 VDD pmos w=1.68u l=0.15u
MN6 sn A n3 VSS nmos w=1.26u l=0.15u
MN7 n3 B n4 VSS nmos w=1.26u l=0.15u
MN8 n4 CI VSS VSS nmos w=1.26u l=0.15u
MN9 sn con n5 VSS nmos w=0.84u l=0.15u
MN10 n5 A VSS VSS nmos w=0.84u l=0.15u
MN11 n5 B VSS VSS nmos w=0.84u l=0.15u
MN12 n5 CI VSS VSS nmos w=0.84u l=0.15u
* outputs
MP13 S sn VDD VDD pmos w=0.84u l=0.15u
MN13 S sn VSS VSS nmos w=0.42u l=0.15u
MP14 CO con VDD VDD pmos w=0.84u l=0.15u
MN14 CO con VSS VSS nmos w=0.42u l=0.15u
.ends FA

.end
