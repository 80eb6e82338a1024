# Usage: cmake -DINPUT=file -DOUTPUT=file.cpp -DSYMBOL=kName -DNAMESPACE=cairn::api -P embed_text.cmake
file(READ "${INPUT}" CONTENT)
file(WRITE "${OUTPUT}.tmp" "namespace ${NAMESPACE} {\nextern const char* const ${SYMBOL};\nconst char* const ${SYMBOL} = R\"cairn_embed(${CONTENT})cairn_embed\";\n}  // namespace ${NAMESPACE}\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
