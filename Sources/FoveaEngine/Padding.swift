// Padding modes for sliding windows (convolution, pooling) and the
// TensorFlow rule for output size and leading padding.

public enum Padding: String, Sendable, CaseIterable {
    /// No padding: windows stay inside the input.
    case valid
    /// Output size ceil(input / stride); an odd padding total puts the extra
    /// row/column at the bottom/right.
    case same
}

/// Output size and leading padding of a sliding window along one axis, as
/// TensorFlow computes them.
func windowGeometry(size: Int, window: Int, stride: Int, padding: Padding,
                    layer: String) throws -> (out: Int, padBefore: Int) {
    switch padding {
    case .valid:
        guard size >= window else {
            throw EngineError.shapeMismatch(
                "\(layer): window \(window) is larger than the input (\(size)) with 'valid' padding")
        }
        return ((size - window) / stride + 1, 0)
    case .same:
        let out = (size + stride - 1) / stride
        let total = max((out - 1) * stride + window - size, 0)
        return (out, total / 2)
    }
}

