# Installs cas from the build tree into a scratch prefix, then builds and runs the consumer
# project twice: against the installed package, and with add_subdirectory on the source tree;
# then the README's embedding example, as pasted.
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}")
  endif()
  message(STATUS "${out}")
endfunction()

run(${CMAKE_COMMAND} --install ${CAS_BINARY_DIR} --prefix ${WORK_DIR}/prefix)
set(consumer ${CAS_SOURCE_DIR}/tests/consumer)

run(${CMAKE_COMMAND} -S ${consumer} -B ${WORK_DIR}/installed -DCMAKE_BUILD_TYPE=Release
    -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/installed -j2)
file(MAKE_DIRECTORY ${WORK_DIR}/data1)
run(${WORK_DIR}/installed/consumer ${WORK_DIR}/data1)

run(${CMAKE_COMMAND} -S ${consumer} -B ${WORK_DIR}/subdir -DCMAKE_BUILD_TYPE=Release
    -DCAS_SOURCE_DIR=${CAS_SOURCE_DIR})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/subdir -j2 --target consumer)
file(MAKE_DIRECTORY ${WORK_DIR}/data2)
run(${WORK_DIR}/subdir/consumer ${WORK_DIR}/data2)

# The README's embedding example, as pasted: its fetch.cpp and its CMake lines, built against the
# installed package and run (it fetches "hello\n" by its sha256 into a cache of its own).
file(READ ${CAS_SOURCE_DIR}/README.md readme)
function(readme_block opening out)
  string(FIND "${readme}" "${opening}" start)
  if(start EQUAL -1)
    message(FATAL_ERROR "README.md has no block starting with: ${opening}")
  endif()
  string(FIND "${opening}" "\n" skip)
  math(EXPR start "${start} + ${skip} + 1")
  string(SUBSTRING "${readme}" ${start} -1 rest)
  string(FIND "${rest}" "```" end)
  string(SUBSTRING "${rest}" 0 ${end} block)
  set(${out} "${block}" PARENT_SCOPE)
endfunction()
readme_block("```cpp\n// fetch.cpp\n" fetch_cpp)
readme_block("```cmake\nfind_package(cas REQUIRED)" fetch_cmake)
set(example ${WORK_DIR}/readme-example)
file(WRITE ${example}/fetch.cpp "${fetch_cpp}")
file(WRITE ${example}/CMakeLists.txt
     "cmake_minimum_required(VERSION 3.20)\nproject(fetch CXX)\n${fetch_cmake}")
run(${CMAKE_COMMAND} -S ${example} -B ${example}/build -DCMAKE_BUILD_TYPE=Release
    -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix)
run(${CMAKE_COMMAND} --build ${example}/build -j2)
execute_process(COMMAND ${example}/build/fetch WORKING_DIRECTORY ${example} RESULT_VARIABLE rc
                OUTPUT_VARIABLE out ERROR_VARIABLE err)
set(hello 5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03)
if(NOT rc EQUAL 0 OR NOT out MATCHES "myapp-cache/58/${hello}\n$")
  message(FATAL_ERROR "the README example failed (${rc}): ${out}${err}")
endif()
file(READ ${example}/myapp-cache/58/${hello} fetched)
if(NOT fetched STREQUAL "hello\n")
  message(FATAL_ERROR "the README example cached '${fetched}'")
endif()
