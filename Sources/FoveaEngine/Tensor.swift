// Tensor: Fovea's n-dimensional Float32 array.
// Storage is one contiguous row-major buffer. Image batches are NHWC
// (batch, height, width, channels): with channels innermost, im2col rows are
// contiguous copies, a convolution's output comes out of one GEMM already in
// NHWC, and a 1x1 or dense product is a single GEMM. Measured against a
// Caffe-style NCHW im2col (per-image GEMMs), batch 128, 3x3 'same',
// forward + backward, one thread on this 2-core EPYC (min of 3 runs):
//   28x28x32 -> 32: NHWC 73 ms, NCHW 121 ms    14x14x64 -> 64: 63 vs 87 ms
//   14x14x128 -> 128: 235 vs 283 ms            28x28x1 -> 64: 15 vs 10 ms
// NCHW only wins on the single-channel input layer, which in training skips
// its input gradient, so NHWC is the layout throughout.

/// A Float32 array with an explicit shape, row-major. A class because its
/// buffer is large and mutated in place by layers and optimizers.
public final class Tensor: @unchecked Sendable, CustomStringConvertible {
    public private(set) var shape: [Int]
    /// Every write through `data` (in place or whole) bumps `version`, which
    /// lets layers cache what they derive from weights (Winograd-transformed
    /// or BatchNorm-folded kernels) and notice when the weights change.
    /// Without `oldValue` the observer keeps in-place writes in place.
    public var data: [Float] { didSet { version &+= 1 } }
    public private(set) var version: UInt64 = 0

    public var count: Int { data.count }
    public var rank: Int { shape.count }

    public init(shape: [Int], repeating value: Float = 0) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        self.data = [Float](repeating: value, count: shape.reduce(1, *))
    }

    public init(shape: [Int], data: [Float]) {
        precondition(shape.reduce(1, *) == data.count,
                     "shape \(shape) needs \(shape.reduce(1, *)) values, got \(data.count)")
        self.shape = shape
        self.data = data
    }

    /// A tensor whose values are left for the caller to write (no zero fill:
    /// layers overwrite their outputs completely).
    init(uninitializedShape shape: [Int]) {
        let n = shape.reduce(1, *)
        self.shape = shape
        self.data = [Float](unsafeUninitializedCapacity: n) { _, count in count = n }
    }

    /// Number of items along the first (batch) axis.
    public var batchCount: Int { shape.first ?? 1 }

    /// Same values, new shape (a copy of the buffer; Swift arrays are copy-on-write,
    /// so this is free until one side is written).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, data: data)
    }

    /// Changes the shape in place; the element count must not change.
    public func reshape(_ newShape: [Int]) {
        precondition(newShape.reduce(1, *) == data.count, "cannot reshape \(shape) to \(newShape)")
        shape = newShape
    }

    public func copy() -> Tensor { Tensor(shape: shape, data: data) }

    public func fill(_ value: Float) {
        data.withUnsafeMutableBufferPointer { p in
            for i in p.indices { p[i] = value }
        }
    }

    public var description: String {
        let head = data.prefix(8).map { String(format: "%.4g", Double($0)) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(head)\(data.count > 8 ? ", …" : "")])"
    }
}

/// The tensors a derived buffer was computed from and their versions then.
struct WeightStamp {
    private let entries: [(tensor: Tensor, version: UInt64)]

    init(_ tensors: [Tensor]) { entries = tensors.map { ($0, $0.version) } }

    /// Whether `tensors` are the recorded ones, unwritten since.
    func isCurrent(for tensors: [Tensor]) -> Bool {
        entries.count == tensors.count
            && zip(entries, tensors).allSatisfy { $0.tensor === $1 && $0.version == $1.version }
    }
}

#if canImport(Glibc)
import Glibc
#endif
import Foundation
