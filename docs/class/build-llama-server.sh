#!/bin/sh
# Build llama.cpp's llama-server (parallel slots, continuous batching) from the llama.cpp source that
# llama-cpp-python's source package carries, at the version this project's venv has, for machines that
# reach PyPI but not GitHub. Elsewhere, llama.cpp's release binaries or your package manager do the same.
# About 25 minutes on 2 cores (CPU build; add -DGGML_CUDA=on for NVIDIA). Prints the binary's path.
#
#   sh docs/class/build-llama-server.sh [WORK_DIR]       (default .tutor/llama-server)
set -eu
PY=${PY:-.venv/bin/python}
VERSION=$("$PY" -c 'import importlib.metadata as m; print(m.version("llama-cpp-python"))')
WORK=${1:-.tutor/llama-server}
mkdir -p "$WORK"
SDIST="$WORK/llama_cpp_python-$VERSION.tar.gz"
if [ ! -f "$SDIST" ]; then
    # the source package itself, not a wheel (pip prepares its metadata, which takes a minute or two)
    "$PY" -m pip download --quiet --no-deps --no-binary :all: "llama-cpp-python==$VERSION" -d "$WORK"
fi
tar xzf "$SDIST" -C "$WORK"
SRC="$WORK/llama_cpp_python-$VERSION/vendor/llama.cpp"
cmake -S "$SRC" -B "$SRC/build" -DCMAKE_BUILD_TYPE=Release -DLLAMA_BUILD_SERVER=ON -DLLAMA_CURL=OFF \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF ${CMAKE_EXTRA:-} >/dev/null
cmake --build "$SRC/build" --target llama-server -j "$(nproc)" >/dev/null
echo "$SRC/build/bin/llama-server"
