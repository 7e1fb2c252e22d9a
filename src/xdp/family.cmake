# family.cmake — build steps of the xdp family, included by the top-level
# CMakeLists.txt when "xdp" is in PKTLINK_FAMILIES.
#
# 1. Compile the BPF C programs (src/xdp/*.bpf.c and the test programs in
#    tests/xdp/*.bpf.c) with clang -target bpf and embed each object as a C
#    array in ${CMAKE_BINARY_DIR}/generated/<name>.bpf.h, so the library
#    needs no object file at run time.
# 2. Link libbpf and libxdp (Debian: libbpf-dev, libxdp-dev).
find_program(PKTLINK_CLANG NAMES clang clang-16 clang-15 clang-14 REQUIRED)
pkg_check_modules(LIBBPF REQUIRED IMPORTED_TARGET libbpf)
pkg_check_modules(LIBXDP REQUIRED IMPORTED_TARGET libxdp)

set(PL_XDP_GEN ${CMAKE_BINARY_DIR}/generated)
file(MAKE_DIRECTORY ${PL_XDP_GEN})
# asm/types.h lives in the multiarch include directory on Debian.
execute_process(COMMAND ${CMAKE_C_COMPILER} -print-multiarch OUTPUT_VARIABLE PL_MULTIARCH
                OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT PL_MULTIARCH)
  set(PL_MULTIARCH ${CMAKE_SYSTEM_PROCESSOR}-linux-gnu)
endif()

# pl_xdp_bpf(<name> <source> [extra clang flags...])
function(pl_xdp_bpf name src)
  set(obj ${PL_XDP_GEN}/${name}.bpf.o)
  set(hdr ${PL_XDP_GEN}/${name}.bpf.h)
  add_custom_command(
    OUTPUT ${hdr}
    COMMAND ${PKTLINK_CLANG} -O2 -g -target bpf -I/usr/include/${PL_MULTIARCH} ${ARGN}
            -c ${src} -o ${obj}
    COMMAND ${CMAKE_COMMAND} -DIN=${obj} -DOUT=${hdr} -DNAME=${name}_bpf_obj
            -P ${CMAKE_SOURCE_DIR}/src/xdp/bin2h.cmake
    DEPENDS ${src} ${CMAKE_SOURCE_DIR}/src/xdp/bin2h.cmake
    COMMENT "BPF ${name}" VERBATIM)
  set_property(GLOBAL APPEND PROPERTY PL_XDP_BPF_HEADERS ${hdr})
endfunction()

pl_xdp_bpf(pl_xsk ${CMAKE_SOURCE_DIR}/src/xdp/pl_xsk.bpf.c)
pl_xdp_bpf(pl_xsk_frags ${CMAKE_SOURCE_DIR}/src/xdp/pl_xsk.bpf.c -DPL_FRAGS)
file(GLOB PL_XDP_TEST_BPF CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/xdp/*.bpf.c)
foreach(src IN LISTS PL_XDP_TEST_BPF)
  get_filename_component(n ${src} NAME_WE)
  pl_xdp_bpf(${n} ${src})
endforeach()
get_property(PL_XDP_HDRS GLOBAL PROPERTY PL_XDP_BPF_HEADERS)
add_custom_target(pktlink_xdp_bpf DEPENDS ${PL_XDP_HDRS})

list(APPEND PKTLINK_OBJ_DEPENDS pktlink_xdp_bpf)
list(APPEND PKTLINK_PRIVATE_LIBS PkgConfig::LIBXDP PkgConfig::LIBBPF)
string(APPEND PKTLINK_PC_REQUIRES " libbpf libxdp")
string(STRIP "${PKTLINK_PC_REQUIRES}" PKTLINK_PC_REQUIRES)

# Test programs reach the generated BPF objects and libbpf (to load their
# own programs for the "caller-attached program" cases).
add_library(pktlink_xdp_testsupport INTERFACE)
target_include_directories(pktlink_xdp_testsupport INTERFACE ${PL_XDP_GEN})
target_link_libraries(pktlink_xdp_testsupport INTERFACE PkgConfig::LIBBPF PkgConfig::LIBXDP)
list(APPEND PKTLINK_TEST_LIBS pktlink_xdp_testsupport)
