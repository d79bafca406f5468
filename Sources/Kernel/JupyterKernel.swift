// The kernel process: five sockets bound from the connection file, three threads.
//   - the main thread serves shell requests one at a time (cells run there, output streams out
//     on iopub as it is printed);
//   - a control thread answers shutdown, interrupt and kernel-info requests, even while a cell
//     runs;
//   - a heartbeat thread echoes pings.
// SIGINT (the kernelspec's interrupt_mode "signal") stops the running cell through the REPL's
// Ctrl-C handler, keeping the session's state. Messages that fail to parse or carry a bad
// signature are logged to stderr and dropped.
import CZMQ
import Glibc
import REPL
import Support
import Synchronization

/// A Jupyter kernel serving one lebm session.
public final class JupyterKernel: @unchecked Sendable {
  let backend: REPLBackend
  let signer: Signer
  let headers = HeaderMaker()
  let context: ZMQContext
  let shell: ZMQSocket, control: ZMQSocket, stdinSocket: ZMQSocket, iopub: ZMQSocket, heartbeat: ZMQSocket
  /// iopub is written by the shell thread, the control thread and the interpreter's thread.
  let iopubLock = Mutex<Void>(())
  let stopping = Atomic<Bool>(false)
  /// The number of the last cell run (`In [n]`).
  var executionCount = 0
  /// How many progress displays cells have opened (each gets its own display id).
  var progressDisplays = 0
  /// Writes diagnostics (stderr in the program).
  let log: (String) -> Void

  /// Binds the sockets of `info`; `backend` runs the cells.
  public init(info: ConnectionInfo, backend: REPLBackend, log: @escaping (String) -> Void) throws(KernelError) {
    self.backend = backend
    self.log = log
    signer = Signer(key: info.key)
    do throws(ZMQError) {
      context = try ZMQContext()
      shell = try ZMQSocket(context, type: ZMQ_ROUTER, endpoint: info.endpoint(info.shellPort))
      control = try ZMQSocket(context, type: ZMQ_ROUTER, endpoint: info.endpoint(info.controlPort))
      stdinSocket = try ZMQSocket(context, type: ZMQ_ROUTER, endpoint: info.endpoint(info.stdinPort))
      iopub = try ZMQSocket(context, type: ZMQ_PUB, endpoint: info.endpoint(info.iopubPort))
      heartbeat = try ZMQSocket(context, type: ZMQ_REP, endpoint: info.endpoint(info.hbPort))
    } catch {
      throw KernelError(error.description)
    }
  }

  /// Serves requests until a shutdown request; returns the exit status.
  public func run() -> Int32 {
    let beats = startThread { [heartbeat] in
      while true {
        switch heartbeat.receive() {
        case .frames(let f): heartbeat.send(f)
        case .interrupted: continue
        case .closed: heartbeat.close(); return
        }
      }
    }
    let controller = startThread { [self] in
      while true {
        switch control.receive() {
        case .frames(let f): serve(f, on: control)
        case .interrupted: continue
        case .closed: control.close(); return
        }
      }
    }
    publish("status", ["execution_state": .string("starting")], parent: nil)
    // Jupyter names its own process in JPY_PARENT_PID: when that process is gone (we were
    // handed to init), nobody can shut the kernel down, so it stops itself.
    let parent = environmentValue("JPY_PARENT_PID").flatMap { Int32($0) }.flatMap { $0 > 1 ? $0 : nil }
    while !stopping.load(ordering: .relaxed) {
      if let parent, getppid() != parent {
        log("lebm kernel: the Jupyter process \(parent) is gone; stopping\n")
        break
      }
      guard shell.poll(milliseconds: 100) else { continue }
      switch shell.receive() {
      case .frames(let f): serve(f, on: shell)
      case .interrupted: continue
      case .closed: stopping.store(true, ordering: .relaxed)
      }
    }
    context.shutdown()
    for s in [shell, stdinSocket, iopub] { s.close() }
    for t in [beats, controller] { if let t { pthread_join(t, nil) } }
    context.terminate()
    return 0
  }

  /// Parses one received message and answers it; bad messages are logged and dropped.
  func serve(_ frames: [[UInt8]], on socket: ZMQSocket) {
    let request: WireMessage
    do throws(WireError) {
      request = try WireMessage.parse(frames, signer: signer)
    } catch {
      log("lebm kernel: ignored a message: \(error)\n")
      return
    }
    publish("status", ["execution_state": .string("busy")], parent: request)
    defer { publish("status", ["execution_state": .string("idle")], parent: request) }
    guard let (replyType, content) = handle(request) else {
      log("lebm kernel: ignored a message of type '\(request.type)'\n")
      return
    }
    reply(replyType, content, to: request, on: socket)
  }

  /// Sends a reply on the socket the request came in on.
  func reply(_ type: String, _ content: [String: JSONValue], to request: WireMessage, on socket: ZMQSocket) {
    let message = WireMessage(
      identities: request.identities, header: headers.header(type), parentHeader: request.header,
      content: .object(content))
    if !socket.send(message.frames(signer: signer)) { log("lebm kernel: could not send \(type)\n") }
  }

  /// Publishes a message on iopub (a status, a stream, an output), answering `parent`.
  func publish(_ type: String, _ content: [String: JSONValue], parent: WireMessage?) {
    let message = WireMessage(
      identities: [Array("kernel.\(headers.session).\(type)".utf8)], header: headers.header(type),
      parentHeader: parent?.header ?? .object([:]), content: .object(content))
    let frames = message.frames(signer: signer)
    iopubLock.withLock { _ in _ = iopub.send(frames) }
  }

  /// Stops serving after the current request (a shutdown request); a running cell is interrupted.
  func stop() {
    stopping.store(true, ordering: .relaxed)
    InterruptSignal.stopEvaluation()
  }
}

/// Starts a thread running `body`; nil when no thread could be made.
func startThread(_ body: @escaping () -> Void) -> pthread_t? {
  final class Box { let body: () -> Void; init(_ b: @escaping () -> Void) { body = b } }
  let box = Unmanaged.passRetained(Box(body)).toOpaque()
  var thread = pthread_t()
  let rc = pthread_create(&thread, nil, { raw in
    let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
    box.body()
    return nil
  }, box)
  if rc != 0 {
    Unmanaged<Box>.fromOpaque(box).release()
    return nil
  }
  return thread
}
