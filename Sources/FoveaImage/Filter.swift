// Filter: the built-in named filters of `fovea filter`, each a kernel applied
// with `same`-mode convolution (sobel magnitude combines two).
//
// Sobel sign forms: textbooks print Gx both as [[-1,0,1],[-2,0,2],[-1,0,1]] and as its negation.
// Because convolution flips the kernel, `sobel-x` here is [[1,0,-1],[2,0,-2],[1,0,-1]], which
// gives POSITIVE values where brightness increases to the right (and `sobel-y`,
// [[1,2,1],[0,0,0],[-1,-2,-1]], where it increases downward). The `-flipped` forms are the
// negated kernels, i.e. what you get convolving with the other printed form; they respond
// with the opposite sign. The magnitude is the same either way.
import Foundation

public enum Filter: Sendable, Equatable {
    case sobelX, sobelXFlipped, sobelY, sobelYFlipped, sobelMagnitude
    /// Mean over a size x size square (size odd or even, at least 1).
    case box(size: Int)
    /// Normalised sampled Gaussian, radius ceil(3 sigma), sigma > 0.
    case gaussian(sigma: Double)
    case sharpen, laplacian

    /// The names `fovea filter --kernel` accepts.
    public static let names = ["sobel-x", "sobel-x-flipped", "sobel-y", "sobel-y-flipped", "sobel-magnitude",
                               "box", "gaussian", "sharpen", "laplacian"]

    /// The filter called `name`; `size` is used by box, `sigma` by gaussian. Nil for unknown names
    /// or out-of-range parameters.
    public init?(name: String, size: Int = 3, sigma: Double = 1) {
        switch name {
        case "sobel-x": self = .sobelX
        case "sobel-x-flipped": self = .sobelXFlipped
        case "sobel-y": self = .sobelY
        case "sobel-y-flipped": self = .sobelYFlipped
        case "sobel-magnitude": self = .sobelMagnitude
        case "box":
            guard size >= 1 && size <= 255 else { return nil }
            self = .box(size: size)
        case "gaussian":
            guard sigma > 0 && sigma <= 50 else { return nil }
            self = .gaussian(sigma: sigma)
        case "sharpen": self = .sharpen
        case "laplacian": self = .laplacian
        default: return nil
        }
    }

    public var name: String {
        switch self {
        case .sobelX: return "sobel-x"
        case .sobelXFlipped: return "sobel-x-flipped"
        case .sobelY: return "sobel-y"
        case .sobelYFlipped: return "sobel-y-flipped"
        case .sobelMagnitude: return "sobel-magnitude"
        case .box: return "box"
        case .gaussian: return "gaussian"
        case .sharpen: return "sharpen"
        case .laplacian: return "laplacian"
        }
    }

    /// The convolution kernel; nil for sobel-magnitude, which combines sobel-x and sobel-y.
    public var kernel: FloatPlane? {
        switch self {
        case .sobelX: return FloatPlane(rows: [[1, 0, -1], [2, 0, -2], [1, 0, -1]])
        case .sobelXFlipped: return FloatPlane(rows: [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
        case .sobelY: return FloatPlane(rows: [[1, 2, 1], [0, 0, 0], [-1, -2, -1]])
        case .sobelYFlipped: return FloatPlane(rows: [[-1, -2, -1], [0, 0, 0], [1, 2, 1]])
        case .sobelMagnitude: return nil
        case .box, .gaussian:
            let taps = oneDimensionalTaps
            return FloatPlane(width: taps.count, height: taps.count, values: taps.flatMap { a in taps.map { a * $0 } })
        case .sharpen: return FloatPlane(rows: [[0, -1, 0], [-1, 5, -1], [0, -1, 0]])
        case .laplacian: return FloatPlane(rows: [[0, 1, 0], [1, -4, 1], [0, 1, 0]])
        }
    }

    /// The filtered plane, same size as the input (`same`-mode convolution, zero fill).
    public func apply(to plane: FloatPlane) -> FloatPlane {
        guard plane.width > 0 && plane.height > 0 else { return plane }
        switch self {
        case .sobelMagnitude:
            let gx = Filter.sobelX.apply(to: plane), gy = Filter.sobelY.apply(to: plane)
            var magnitude = gx
            gy.values.withUnsafeBufferPointer { y in
                magnitude.values.withUnsafeMutableBufferPointer { x in
                    for i in 0..<x.count { x[i] = (x[i] * x[i] + y[i] * y[i]).squareRoot() }
                }
            }
            return magnitude
        case .gaussian, .box:
            // Both kernels are outer products of a 1-D kernel with itself, and with zero fill a row pass
            // then a column pass equals the 2-D `same` convolution (odd sizes keep scipy's centring; an
            // even box takes the same (k-1)/2 offset in each pass). Cost 2k instead of k² per pixel.
            let taps = oneDimensionalTaps
            let row = FloatPlane(width: taps.count, height: 1, values: taps)
            let column = FloatPlane(width: 1, height: taps.count, values: taps)
            return convolvedSame(convolvedSame(plane, row), column)
        default:
            return convolvedSame(plane, kernel!)
        }
    }

    /// The 1-D factor of a separable kernel (gaussian and box).
    private var oneDimensionalTaps: [Float] {
        switch self {
        case let .box(size):
            return [Float](repeating: 1 / Float(size), count: size)
        case let .gaussian(sigma):
            let radius = Int((3 * sigma).rounded(.up))
            let taps = (-radius...radius).map { exp(-Double($0 * $0) / (2 * sigma * sigma)) }
            let total = taps.reduce(0, +)
            return taps.map { Float($0 / total) }
        default:
            return []
        }
    }

    private func convolvedSame(_ plane: FloatPlane, _ kernel: FloatPlane) -> FloatPlane {
        // `same` mode has no containment rule and neither input is empty here, so this cannot throw.
        (try? plane.convolved(with: kernel, mode: .same)) ?? plane
    }
}
