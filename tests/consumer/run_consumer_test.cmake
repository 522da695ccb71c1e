# Installs cas from the build tree into a scratch prefix, then builds and runs the consumer
# project twice: against the installed package, and with add_subdirectory on the source tree.
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
