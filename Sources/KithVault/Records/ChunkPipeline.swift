import Foundation

/// Two threads over a stream of chunks: the caller fills buffers (read and
/// encrypt, or read and hash) while one worker drains them in order (hash
/// and write, or decrypt and write). On two cores a large attachment then
/// costs about the slower half, not the sum. Buffers are reused, so memory
/// stays at `depth` chunks whatever the file's size.
final class ChunkPipeline: @unchecked Sendable {
    // @unchecked: each buffer is owned by one side at a time, handed over by
    // the semaphores (which order the memory); `failure` is under `lock`.
    private let depth: Int
    private let buffers: [UnsafeMutableRawBufferPointer]
    private let lengths: UnsafeMutablePointer<Int>
    private let free: DispatchSemaphore
    private let filled = DispatchSemaphore(value: 0)
    private let stopped = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var failure: Error?
    private var next = 0
    private var finished = false

    /// Starts the worker, which runs `work` on each chunk in order until
    /// `finish()`. After `work` throws, later chunks are skipped and the
    /// error reaches the caller.
    init(depth: Int = 3, bufferSize: Int, work: @escaping @Sendable (UnsafeRawBufferPointer) throws -> Void) {
        self.depth = depth
        buffers = (0..<depth).map { _ in UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 64) }
        lengths = UnsafeMutablePointer<Int>.allocate(capacity: depth)
        lengths.initialize(repeating: 0, count: depth)
        // Made at 0 and raised, because libdispatch traps when a semaphore is
        // freed below the value it was made with.
        free = DispatchSemaphore(value: 0)
        for _ in 0..<depth { free.signal() }
        let pipeline = self
        Thread.detachNewThread { pipeline.drain(work) }
    }

    // The worker thread holds the pipeline until `finish()`, so by the time
    // this runs the worker has stopped; callers `defer` a `finish()`.
    deinit {
        // Whatever passed through is wiped before the memory is returned.
        for buffer in buffers {
            buffer.initializeMemory(as: UInt8.self, repeating: 0)
            buffer.deallocate()
        }
        lengths.deallocate()
    }

    private var recordedFailure: Error? {
        lock.lock()
        defer { lock.unlock() }
        return failure
    }

    private func drain(_ work: (UnsafeRawBufferPointer) throws -> Void) {
        var index = 0
        while true {
            filled.wait()
            let length = lengths[index]
            if length < 0 { break }
            if recordedFailure == nil {
                do { try work(UnsafeRawBufferPointer(rebasing: buffers[index][0..<length])) } catch {
                    lock.lock()
                    failure = error
                    lock.unlock()
                }
            }
            free.signal()
            index = (index + 1) % depth
        }
        stopped.signal()
    }

    /// Waits for a free buffer, lets `fill` write into it (returning how
    /// many bytes it wrote), and hands it to the worker. Throws the worker's
    /// error as soon as one is known.
    func send(_ fill: (UnsafeMutableRawBufferPointer) throws -> Int) throws {
        if let failure = recordedFailure { throw failure }
        free.wait()
        let count: Int
        do { count = try fill(buffers[next]) } catch {
            free.signal()
            throw error
        }
        lengths[next] = count
        filled.signal()
        next = (next + 1) % depth
    }

    /// Waits until the worker has drained everything; throws its error.
    func finish() throws {
        guard !finished else { return }
        finished = true
        free.wait()
        lengths[next] = -1
        filled.signal()
        stopped.wait()
        if let failure = recordedFailure { throw failure }
    }
}
