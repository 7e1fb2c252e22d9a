# bench/shm_peers.cmake — the shm family's reference peers (included by
# bench/CMakeLists.txt): a SOCK_SEQPACKET socketpair peer (always), and the
# DPDK net_memif wrapper, which runs bench/dpdk_peer twice (built when
# dpdk_peer is).
add_executable(shm_seqpacket_peer ${CMAKE_CURRENT_SOURCE_DIR}/shm_seqpacket_peer.c)
target_compile_definitions(shm_seqpacket_peer PRIVATE _GNU_SOURCE)
set_target_properties(shm_seqpacket_peer PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)
if(TARGET dpdk_peer)
  add_executable(shm_memif_peer ${CMAKE_CURRENT_SOURCE_DIR}/shm_memif_peer.c)
  target_compile_definitions(shm_memif_peer PRIVATE _GNU_SOURCE)
  add_dependencies(shm_memif_peer dpdk_peer)
  set_target_properties(shm_memif_peer PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)
endif()
