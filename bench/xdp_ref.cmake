# bench/xdp_ref.cmake — the libxdp AF_XDP reference peer (bench/xdp_ref.c),
# included by bench/CMakeLists.txt. Built when libxdp is found.
pkg_check_modules(PKTLINK_BENCH_LIBXDP IMPORTED_TARGET libxdp libbpf)
if(PKTLINK_BENCH_LIBXDP_FOUND)
  add_executable(xdp_ref ${CMAKE_CURRENT_SOURCE_DIR}/xdp_ref.c)
  target_compile_definitions(xdp_ref PRIVATE _GNU_SOURCE)
  target_link_libraries(xdp_ref PRIVATE PkgConfig::PKTLINK_BENCH_LIBXDP)
  set_target_properties(xdp_ref PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)
else()
  message(STATUS "bench: libxdp not found; xdp_ref not built")
endif()
