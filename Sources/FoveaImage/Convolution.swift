// 2-D convolution of a FloatPlane with a kernel, with exactly
// scipy.signal.convolve2d's semantics (boundary="fill", fillvalue=0):
// the kernel is flipped, `full` is (H+kh-1)x(W+kw-1), `same` is the full
// result cropped from offset ((kh-1)/2, (kw-1)/2) (integer division, as scipy
// centres even kernels), `valid` keeps the positions where the kernel lies wholly
// inside (scipy swaps the arguments when the kernel is the larger one).

public enum ConvolutionMode: String, Sendable, CaseIterable {
    case full, same, valid
}

public enum ConvolutionError: Error, CustomStringConvertible, Equatable {
    case validNeedsContainment(image: String, kernel: String)
    case emptyInput

    public var description: String {
        switch self {
        case let .validNeedsContainment(image, kernel):
            return "valid convolution needs one input at least as large as the other in both dimensions; got an image of \(image) and a kernel of \(kernel)"
        case .emptyInput:
            return "convolution inputs must have at least one row and one column"
        }
    }
}

extension FloatPlane {
    /// `self` convolved with `kernel` in `mode`, as scipy.signal.convolve2d(self, kernel, mode).
    public func convolved(with kernel: FloatPlane, mode: ConvolutionMode = .same) throws -> FloatPlane {
        guard width > 0, height > 0, kernel.width > 0, kernel.height > 0 else { throw ConvolutionError.emptyInput }
        if mode == .valid {
            let imageHolds = width >= kernel.width && height >= kernel.height
            let kernelHolds = kernel.width >= width && kernel.height >= height
            if !imageHolds {
                guard kernelHolds else {
                    throw ConvolutionError.validNeedsContainment(image: "\(width)x\(height)",
                                                                 kernel: "\(kernel.width)x\(kernel.height)")
                }
                return try kernel.convolved(with: self, mode: .valid)
            }
        }
        let (outWidth, outHeight, offsetX, offsetY): (Int, Int, Int, Int)
        switch mode {
        case .full: (outWidth, outHeight, offsetX, offsetY) = (width + kernel.width - 1, height + kernel.height - 1, 0, 0)
        case .same: (outWidth, outHeight, offsetX, offsetY) = (width, height, (kernel.width - 1) / 2, (kernel.height - 1) / 2)
        case .valid: (outWidth, outHeight, offsetX, offsetY) = (width - kernel.width + 1, height - kernel.height + 1,
                                                                kernel.width - 1, kernel.height - 1)
        }
        var output = FloatPlane(width: outWidth, height: outHeight)
        // out[y][x] = Σ k[m][n] · in[y+offsetY-m][x+offsetX-n]. Looping over kernel taps outside
        // makes the inner loop a contiguous, vectorisable axpy over one row span.
        values.withUnsafeBufferPointer { input in
            kernel.values.withUnsafeBufferPointer { taps in
                output.values.withUnsafeMutableBufferPointer { out in
                    let source = input.baseAddress!, target = out.baseAddress!
                    for m in 0..<kernel.height {
                        let rowShift = offsetY - m
                        let firstRow = max(0, -rowShift), endRow = min(outHeight, height - rowShift)
                        guard firstRow < endRow else { continue }
                        for n in 0..<kernel.width {
                            let weight = taps[m * kernel.width + n]
                            let columnShift = offsetX - n
                            let firstColumn = max(0, -columnShift), endColumn = min(outWidth, width - columnShift)
                            guard firstColumn < endColumn else { continue }
                            for y in firstRow..<endRow {
                                let from = source + (y + rowShift) * width + columnShift
                                let to = target + y * outWidth
                                for x in firstColumn..<endColumn { to[x] += weight * from[x] }
                            }
                        }
                    }
                }
            }
        }
        return output
    }
}
