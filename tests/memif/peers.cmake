# tests/memif/peers.cmake — the DPDK net_memif peer of the memif interop
# tests (tests/memif/test_dpdk.c finds it through PL_DPDK_MEMIF_PEER).
pkg_check_modules(PL_TEST_DPDK IMPORTED_TARGET libdpdk)
if(PL_TEST_DPDK_FOUND)
  add_executable(dpdk_memif_peer ${CMAKE_CURRENT_LIST_DIR}/dpdk_memif_peer.c)
  # DPDK's headers trip several of the project's warnings; the peer is not pktlink code.
  target_compile_options(dpdk_memif_peer PRIVATE -Wno-missing-prototypes -Wno-shadow
                         -Wno-strict-prototypes -Wno-cast-qual -Wno-pedantic)
  target_compile_definitions(dpdk_memif_peer PRIVATE _GNU_SOURCE)
  target_include_directories(dpdk_memif_peer PRIVATE ${CMAKE_SOURCE_DIR}/bench)
  target_link_libraries(dpdk_memif_peer PRIVATE PkgConfig::PL_TEST_DPDK)
  set(PL_DPDK_MEMIF_PEER $<TARGET_FILE:dpdk_memif_peer>)
else()
  message(STATUS "tests: libdpdk not found; the memif interop tests will skip")
  set(PL_DPDK_MEMIF_PEER "")
endif()
