// ZeroMQ's C API (libzmq): the sockets the Jupyter kernel speaks over.
#include <zmq.h>
