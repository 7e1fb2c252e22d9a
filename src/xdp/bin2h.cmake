# bin2h.cmake — embed a binary file as a C array: cmake -DIN=x.o -DOUT=x.h -DNAME=sym -P bin2h.cmake
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" hexlen)
math(EXPR len "${hexlen} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n" body "${body}")
file(WRITE ${OUT} "/* generated from ${IN} by bin2h.cmake — do not edit */\n#include <stddef.h>\nstatic const unsigned char ${NAME}[] __attribute__((aligned(8))) = {\n${body}\n};\nstatic const size_t ${NAME}_len = ${len};\n")
