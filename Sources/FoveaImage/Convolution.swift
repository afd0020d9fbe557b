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
        // out[y][x] = Σ k[m][n] · in[y+offsetY-m][x+offsetX-n]. Each output row is finished before the
        // next (it stays in cache), and each tap adds a contiguous, vectorisable span of one input row.
        values.withUnsafeBufferPointer { input in
            kernel.values.withUnsafeBufferPointer { taps in
                output.values.withUnsafeMutableBufferPointer { out in
                    let source = input.baseAddress!, target = out.baseAddress!, weights = taps.baseAddress!
                    let kernelWidth = kernel.width, kernelHeight = kernel.height, imageWidth = width, imageHeight = height
                    for y in 0..<outHeight {
                        let to = target + y * outWidth
                        for m in 0..<kernelHeight {
                            let row = y + offsetY - m
                            guard row >= 0 && row < imageHeight else { continue }
                            let rowStart = source + row * imageWidth
                            for n in 0..<kernelWidth {
                                let weight = weights[m * kernelWidth + n]
                                let shift = offsetX - n
                                let first = max(0, -shift), end = min(outWidth, imageWidth - shift)
                                guard first < end else { continue }
                                let from = rowStart + shift
                                for x in first..<end { to[x] += weight * from[x] }
                            }
                        }
                    }
                }
            }
        }
        return output
    }
}
