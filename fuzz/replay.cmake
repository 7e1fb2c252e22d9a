# fuzz/replay.cmake — run every libFuzzer target (fuzz/fuzz_*.c) in the
# normal build as a deterministic ctest program: fuzz/replay_main.c feeds it
# 20000 pseudo-random and mutated-valid inputs (PL_FUZZ_ITERS overrides),
# so the ASan+UBSan suite exercises the parsers of untrusted bytes without
# clang or libFuzzer.
#
# Include it once from tests/CMakeLists.txt (after pktlink_static exists):
#   include(${CMAKE_SOURCE_DIR}/fuzz/replay.cmake)
# Tests are named fuzz/<target> (label "fuzz"); executables fuzz_replay_<target>.
set(PL_FUZZ_DIR ${CMAKE_SOURCE_DIR}/fuzz)
file(GLOB pl_fuzz_targets CONFIGURE_DEPENDS ${PL_FUZZ_DIR}/fuzz_*.c)
foreach(src IN LISTS pl_fuzz_targets)
  get_filename_component(name ${src} NAME_WE)
  # fuzz_<family>_*.c needs that family in the library: skip it otherwise.
  if(name MATCHES "^fuzz_(fd|shm|xdp|memif)_" AND NOT CMAKE_MATCH_1 IN_LIST PKTLINK_FAMILIES)
    continue()
  endif()
  set(exe fuzz_replay_${name})
  add_executable(${exe} ${PL_FUZZ_DIR}/replay_main.c ${src})
  target_include_directories(${exe} PRIVATE ${PL_FUZZ_DIR} ${CMAKE_SOURCE_DIR}/src
                             ${CMAKE_SOURCE_DIR}/include ${CMAKE_BINARY_DIR}/generated)
  target_compile_definitions(${exe} PRIVATE _GNU_SOURCE ${PKTLINK_DEFINES})
  # Targets written elsewhere need not declare LLVMFuzzerTestOneInput first.
  target_compile_options(${exe} PRIVATE -Wno-missing-prototypes)
  target_link_libraries(${exe} PRIVATE pktlink_static ${PKTLINK_TEST_LIBS})
  if(PKTLINK_OBJ_DEPENDS)
    add_dependencies(${exe} ${PKTLINK_OBJ_DEPENDS})
  endif()
  add_test(NAME fuzz/${name} COMMAND ${exe})
  set_tests_properties(fuzz/${name} PROPERTIES TIMEOUT 300 LABELS fuzz)
endforeach()
