# What every command-line program of cas shares, in tools/ and in bench/ (either may be built
# without the other): CLI11, the project version as CAS_VERSION, and tools/common/tool_cli.hpp.
# Link `cas-cli-common` to get all three.
find_package(CLI11 REQUIRED)
if(NOT TARGET cas-cli-common)
  add_library(cas-cli-common INTERFACE)
  target_link_libraries(cas-cli-common INTERFACE CLI11::CLI11)
  target_compile_definitions(cas-cli-common INTERFACE CAS_VERSION="${PROJECT_VERSION}")
  target_include_directories(cas-cli-common INTERFACE ${CMAKE_CURRENT_LIST_DIR}/common)
endif()
