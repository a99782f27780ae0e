# Fails when the extension jar lacks its service registration or the engine API, or ships any
# compile-only QuPath/ControlsFX/JTS declaration.
#   cmake -DJAR=/usr/bin/jar -DFILE=muse-qupath-extension.jar -P check-jar-contents.cmake
execute_process(COMMAND ${JAR} tf ${FILE} OUTPUT_VARIABLE listing RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cannot list ${FILE}")
endif()
foreach(required "META-INF/services/qupath.lib.gui.extensions.QuPathExtension" "qupath/ext/muse/MuseExtension.class"
                 "io/github/musequpath/engine/MuseModel.class")
  string(FIND "${listing}" "${required}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${FILE} lacks ${required}")
  endif()
endforeach()
string(REGEX MATCHALL "(^|\n)(qupath/(lib|fx)/[^\n]*|org/(controlsfx|locationtech)/[^\n]*)" leaked "${listing}")
if(leaked)
  message(FATAL_ERROR "${FILE} ships compile-only declarations:${leaked}")
endif()
message(STATUS "${FILE}: service registration and engine API present, no compile-only declarations")
