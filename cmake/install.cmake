# cmake/install.cmake — what `cmake --install` puts under the prefix:
#   lib/: libpktlink.so.* (pktlink::pktlink), libpktlink.a (pktlink::pktlink_static),
#         pkgconfig/pktlink.pc (relocatable), cmake/pktlink/ (find_package)
#   include/pktlink/: pktlink.h, version.h and the headers of the built families
#   share/doc/pktlink/examples/: the example programs (source)
#   share/man/: the manual pages (cmake/man.cmake)
# Included from the top-level CMakeLists.txt. tests/abi/test_install.sh
# installs into a temporary prefix and builds consumers both ways.
include(CMakePackageConfigHelpers)

# Headers: the contract, the version, and one header per built family
# (include/pktlink/<family>.h, when the family has one).
set(pl_headers ${CMAKE_SOURCE_DIR}/include/pktlink/pktlink.h
               ${CMAKE_BINARY_DIR}/include/pktlink/version.h)
foreach(fam IN LISTS PKTLINK_FAMILIES)
  if(EXISTS ${CMAKE_SOURCE_DIR}/include/pktlink/${fam}.h)
    list(APPEND pl_headers ${CMAKE_SOURCE_DIR}/include/pktlink/${fam}.h)
  endif()
endforeach()
install(FILES ${pl_headers} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/pktlink)

install(TARGETS pktlink pktlink_archive EXPORT pktlinkTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# The static archive's dependencies are pkg-config modules (PkgConfig::<P>
# targets, P the module name in upper case, e.g. PkgConfig::LIBBPF for
# libbpf); pktlinkConfig.cmake finds them again on the consumer's side.
string(REPLACE " " ";" PKTLINK_PC_MODULES "${PKTLINK_PC_REQUIRES}")
foreach(lib IN LISTS PKTLINK_PRIVATE_LIBS)
  if(lib MATCHES "^PkgConfig::(.*)$")
    set(prefix ${CMAKE_MATCH_1})
    set(found "")
    foreach(mod IN LISTS PKTLINK_PC_MODULES)
      string(TOUPPER "${mod}" up)
      if(up STREQUAL prefix)
        set(found ${mod})
      endif()
    endforeach()
    if(NOT found)
      message(FATAL_ERROR "cmake/install.cmake: ${lib} has no pkg-config module in "
              "PKTLINK_PC_REQUIRES ('${PKTLINK_PC_REQUIRES}'); name the pkg_check_modules() "
              "prefix after the module in upper case (libfoo -> LIBFOO) and add the module")
    endif()
  endif()
endforeach()

set(pl_cmakedir ${CMAKE_INSTALL_LIBDIR}/cmake/pktlink)
install(EXPORT pktlinkTargets NAMESPACE pktlink:: DESTINATION ${pl_cmakedir})
configure_package_config_file(${CMAKE_SOURCE_DIR}/cmake/pktlinkConfig.cmake.in
                              ${CMAKE_BINARY_DIR}/pktlinkConfig.cmake
                              INSTALL_DESTINATION ${pl_cmakedir})
# 0.x releases from 0.2 on are backward compatible (docs/ABI.md): the major
# version changes with an incompatible ABI.
write_basic_package_version_file(${CMAKE_BINARY_DIR}/pktlinkConfigVersion.cmake
                                 COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_BINARY_DIR}/pktlinkConfig.cmake ${CMAKE_BINARY_DIR}/pktlinkConfigVersion.cmake
        DESTINATION ${pl_cmakedir})

# pkg-config: prefix relative to the .pc file, so the tree can be installed
# (or moved) anywhere: `cmake --install build --prefix X` yields X's paths.
set(pl_pcdir ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(PKTLINK_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(PKTLINK_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  file(RELATIVE_PATH pl_up /pl_root/${pl_pcdir} /pl_root)
  string(REGEX REPLACE "/$" "" pl_up "${pl_up}")
  set(PKTLINK_PC_PREFIX "\${pcfiledir}/${pl_up}")
  set(PKTLINK_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(PKTLINK_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(PKTLINK_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file(${CMAKE_SOURCE_DIR}/pktlink.pc.in ${CMAKE_BINARY_DIR}/pktlink.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/pktlink.pc DESTINATION ${pl_pcdir})

# The examples, as source, with the one-line build command in each.
file(GLOB pl_examples ${CMAKE_SOURCE_DIR}/examples/*.c)
install(FILES ${pl_examples} DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
