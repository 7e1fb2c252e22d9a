# cmake/abi.cmake — the installed static archive, which exports only the API.
#
# An archive of the library's objects would export every internal pl_*
# function and variable: a program linking libpktlink.a could collide with
# them, and would see what the shared library hides. So the objects are
# linked into one relocatable object (ld -r), whose global symbols other
# than those of src/libpktlink.map are made local (objcopy
# --keep-global-symbols), and the archive holds that one object: the same
# exports as libpktlink.so. Included from the top-level CMakeLists.txt.

# The exported names, read from the map (the one list of them).
file(STRINGS ${CMAKE_SOURCE_DIR}/src/libpktlink.map pl_map_lines
     REGEX "^[ \t]*pktlink_[A-Za-z0-9_]+;")
set(pl_api_syms "")
foreach(line IN LISTS pl_map_lines)
  string(REGEX REPLACE "^[ \t]*(pktlink_[A-Za-z0-9_]+);.*" "\\1" sym "${line}")
  string(APPEND pl_api_syms "${sym}\n")
endforeach()
set(PKTLINK_API_SYMS ${CMAKE_BINARY_DIR}/pktlink_api.syms)
file(CONFIGURE OUTPUT ${PKTLINK_API_SYMS} CONTENT "${pl_api_syms}")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             ${CMAKE_SOURCE_DIR}/src/libpktlink.map)

find_program(PKTLINK_OBJCOPY NAMES ${CMAKE_OBJCOPY} objcopy REQUIRED)
find_program(PKTLINK_LD NAMES ${CMAKE_LINKER} ld REQUIRED)
set(pl_api_obj ${CMAKE_BINARY_DIR}/pktlink_api.o)
add_custom_command(OUTPUT ${pl_api_obj}
  COMMAND ${PKTLINK_LD} -r -o ${pl_api_obj} $<TARGET_OBJECTS:pktlink_obj>
  COMMAND ${PKTLINK_OBJCOPY} --keep-global-symbols=${PKTLINK_API_SYMS} ${pl_api_obj}
  DEPENDS pktlink_obj $<TARGET_OBJECTS:pktlink_obj> ${PKTLINK_API_SYMS}
  COMMAND_EXPAND_LISTS
  COMMENT "Linking the API-only object of libpktlink.a" VERBATIM)
set_source_files_properties(${pl_api_obj} PROPERTIES EXTERNAL_OBJECT ON GENERATED ON)

add_library(pktlink_archive STATIC ${pl_api_obj})
set_target_properties(pktlink_archive PROPERTIES OUTPUT_NAME pktlink LINKER_LANGUAGE C
                      EXPORT_NAME pktlink_static)
target_include_directories(pktlink_archive PUBLIC
                           $<BUILD_INTERFACE:${CMAKE_SOURCE_DIR}/include>
                           $<BUILD_INTERFACE:${CMAKE_BINARY_DIR}/include>
                           $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_compile_definitions(pktlink_archive PUBLIC ${PKTLINK_DEFINES})
target_link_libraries(pktlink_archive PUBLIC ${PKTLINK_PRIVATE_LIBS})
