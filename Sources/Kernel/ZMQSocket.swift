// ZeroMQ sockets for the kernel: multipart receive and send, polling, and the context that ends
// them. Each socket is used by one thread at a time (iopub is shared behind a lock).
import CZMQ
import Glibc

/// A ZeroMQ error: what was being done and zmq_strerror's text.
public struct ZMQError: Error, CustomStringConvertible, Sendable {
  public var description: String
  init(_ what: String) { description = "\(what): \(String(cString: zmq_strerror(zmq_errno())))" }
}

/// A ZeroMQ context.
final class ZMQContext: @unchecked Sendable {
  let handle: UnsafeMutableRawPointer

  init() throws(ZMQError) {
    guard let h = zmq_ctx_new() else { throw ZMQError("zmq_ctx_new") }
    handle = h
  }

  /// Makes blocking calls on every socket return ETERM (the threads then close their sockets).
  func shutdown() { zmq_ctx_shutdown(handle) }

  /// Waits for every socket to be closed, then frees the context.
  func terminate() { while zmq_ctx_term(handle) != 0 && zmq_errno() == EINTR {} }
}

/// One ZeroMQ socket.
final class ZMQSocket: @unchecked Sendable {
  let handle: UnsafeMutableRawPointer

  /// A socket of `type` (ZMQ_ROUTER, ZMQ_PUB, ZMQ_REP) bound to `endpoint`, which waits at most
  /// one second for unsent messages when closed.
  init(_ context: ZMQContext, type: Int32, endpoint: String) throws(ZMQError) {
    guard let h = zmq_socket(context.handle, type) else { throw ZMQError("zmq_socket") }
    var linger: Int32 = 1000
    zmq_setsockopt(h, ZMQ_LINGER, &linger, MemoryLayout<Int32>.size)
    guard zmq_bind(h, endpoint) == 0 else {
      let e = ZMQError("cannot bind \(endpoint)")
      zmq_close(h)
      throw e
    }
    handle = h
  }

  func close() { zmq_close(handle) }

  /// What a receive gave.
  enum Received {
    case frames([[UInt8]])
    /// A signal arrived (EINTR): try again.
    case interrupted
    /// The context is shutting down (ETERM) or the socket failed.
    case closed
  }

  /// Receives one multipart message, blocking.
  func receive() -> Received {
    var frames: [[UInt8]] = []
    repeat {
      var msg = zmq_msg_t()
      zmq_msg_init(&msg)
      defer { zmq_msg_close(&msg) }
      let n = zmq_msg_recv(&msg, handle, 0)
      if n < 0 {
        // A signal between parts cannot happen: ZeroMQ delivers the parts of a message together.
        return zmq_errno() == EINTR && frames.isEmpty ? .interrupted : .closed
      }
      let size = zmq_msg_size(&msg)
      if let data = zmq_msg_data(&msg), size > 0 {
        frames.append(Array(UnsafeBufferPointer(start: data.assumingMemoryBound(to: UInt8.self), count: size)))
      } else {
        frames.append([])
      }
      if zmq_msg_more(&msg) == 0 { break }
    } while true
    return .frames(frames)
  }

  /// Sends `frames` as one multipart message; false when the socket failed.
  @discardableResult
  func send(_ frames: [[UInt8]]) -> Bool {
    for (i, frame) in frames.enumerated() {
      let flags = i + 1 < frames.count ? ZMQ_SNDMORE : 0
      while true {
        let n = frame.withUnsafeBytes { zmq_send(handle, $0.baseAddress, $0.count, flags) }
        if n >= 0 { break }
        if zmq_errno() != EINTR { return false }
      }
    }
    return true
  }

  /// Waits up to `milliseconds` for a message; true when one can be received.
  func poll(milliseconds: Int) -> Bool {
    var item = zmq_pollitem_t(socket: handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
    let n = zmq_poll(&item, 1, milliseconds)
    return n > 0 && item.revents & Int16(ZMQ_POLLIN) != 0
  }
}
