import CZlib

/// zlib's `inflate`, under a name that `Gzip.inflate` does not shadow.
private func zlibInflate(_ s: UnsafeMutablePointer<z_stream>, _ flush: Int32) -> Int32 { inflate(s, flush) }

/// gzip (and zlib) streams, through the system zlib.
public enum Gzip {
  /// Whether `bytes` start with the gzip magic number `1f 8b`.
  public static func isCompressed(_ bytes: [UInt8]) -> Bool {
    bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
  }

  /// The decompressed contents of a gzip stream (several concatenated members are joined, as `gunzip`
  /// does), at most `maxOutput` bytes: inflating stops there, so a small file that would inflate to
  /// gigabytes costs no more than the limit. `path` only names the source in errors.
  /// - Throws: ``DatasetError/malformed(path:reason:)`` for a corrupt or cut-off stream, or one that
  ///   holds more than `maxOutput` bytes.
  public static func decompress(_ bytes: [UInt8], path: String, maxOutput: Int) throws -> [UInt8] {
    let out = try inflate(bytes, path: path, upTo: maxOutput + 1)
    guard out.count <= maxOutput else {
      throw DatasetError.malformed(
        path: path, reason: "the gzip data decompresses to more than \(maxOutput) bytes, the most expected")
    }
    return out
  }

  /// The first `count` decompressed bytes of a gzip stream (fewer when it is shorter): a header to
  /// check before inflating the rest.
  public static func prefix(_ bytes: [UInt8], count: Int, path: String) throws -> [UInt8] {
    try inflate(bytes, path: path, upTo: count)
  }

  /// Inflates `bytes` until the stream ends or `limit` bytes are out, whichever comes first.
  static func inflate(_ bytes: [UInt8], path: String, upTo limit: Int) throws -> [UInt8] {
    let limit = max(0, limit)
    // The last 4 bytes of a gzip member hold the uncompressed size mod 2³²: a good first guess.
    var capacity = bytes.count * 4
    if bytes.count >= 18 {
      let n = bytes.count
      let isize = Int(bytes[n - 4]) | Int(bytes[n - 3]) << 8 | Int(bytes[n - 2]) << 16
        | Int(bytes[n - 1]) << 24
      capacity = min(isize, n * 1032)  // deflate never beats about 1032:1, so a bigger hint is junk
    }
    var out = [UInt8](repeating: 0, count: min(max(capacity, 64), max(limit, 1)))
    var produced = 0
    var stream = z_stream()
    guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
      throw DatasetError.malformed(path: path, reason: "zlib could not start")
    }
    defer { inflateEnd(&stream) }
    try bytes.withUnsafeBufferPointer { input in
      stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
      stream.avail_in = UInt32(input.count)
      while true {
        if produced == limit { out.removeSubrange(produced...); return }
        if produced == out.count { out.append(contentsOf: repeatElement(0, count: min(out.count, limit - out.count))) }
        let status: Int32 = out.withUnsafeMutableBufferPointer { o in
          stream.next_out = o.baseAddress! + produced
          let room = min(o.count - produced, Int(UInt32.max))
          stream.avail_out = UInt32(room)
          let s = zlibInflate(&stream, Z_NO_FLUSH)
          produced += room - Int(stream.avail_out)
          return s
        }
        switch status {
        case Z_STREAM_END:
          // Another gzip member may follow; anything else after the stream is ignored, like gunzip.
          let left = Int(stream.avail_in)
          guard left >= 2, let next = stream.next_in, next[0] == 0x1f, next[1] == 0x8b else {
            out.removeSubrange(produced...)
            return
          }
          guard inflateReset(&stream) == Z_OK else {
            throw DatasetError.malformed(path: path, reason: "corrupt gzip data")
          }
        case Z_OK:
          continue
        case Z_BUF_ERROR where stream.avail_in == 0:
          throw DatasetError.malformed(path: path, reason: "truncated gzip data (the stream ends early)")
        case Z_BUF_ERROR where stream.avail_out == 0:
          continue
        default:
          let msg = stream.msg.map { String(cString: $0) } ?? "error \(status)"
          throw DatasetError.malformed(path: path, reason: "corrupt gzip data (\(msg))")
        }
      }
    }
    return out
  }

  /// `bytes` as a gzip stream (used by tests and by anyone writing data sets).
  public static func compress(_ bytes: [UInt8], level: Int32 = 6) throws -> [UInt8] {
    var stream = z_stream()
    guard deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                        Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
      throw DatasetError.invalidArgument(op: "gzip", message: "zlib could not start (level \(level))")
    }
    defer { deflateEnd(&stream) }
    var out = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(bytes.count))) + 32)
    var input = bytes
    let status: Int32 = input.withUnsafeMutableBufferPointer { i in
      out.withUnsafeMutableBufferPointer { o in
        stream.next_in = i.baseAddress
        stream.avail_in = UInt32(i.count)
        stream.next_out = o.baseAddress
        stream.avail_out = UInt32(o.count)
        return deflate(&stream, Z_FINISH)
      }
    }
    guard status == Z_STREAM_END else {
      throw DatasetError.invalidArgument(op: "gzip", message: "zlib could not compress (error \(status))")
    }
    out.removeSubrange(Int(stream.total_out)...)
    return out
  }
}
