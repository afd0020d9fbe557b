// Sequential.resized: a fully convolutional model rebuilt for another input
// size computes, on each window, what the original computes there.
import FoveaEngine
import XCTest

final class InputResizingTests: XCTestCase {
    func testResizedValidConvolutionAgreesOnACrop() throws {
        Engine.seed(5)
        let model = try Sequential(inputShape: [8, 8, 1], layers: [
            Conv2D(filters: 4, kernelSize: (3, 3), padding: .valid, activation: .relu),
            MaxPooling2D(poolSize: 2),
            Conv2D(filters: 3, kernelSize: (1, 1), activation: .linear),
        ])
        let wide = try model.resized(inputShape: [8, 20, 1])
        XCTAssertEqual(wide.outputShape, [3, 9, 3])
        var rng = SplitMix64(seed: 9)
        let x = (0..<(8 * 20)).map { _ in rng.uniform(0, 1) }
        let wideOut = wide.predict(Tensor(shape: [1, 8, 20, 1], data: x)).data
        // The left 8x8 of the wide input: the original model's output is the wide one's first 3 columns.
        var crop = [Float]()
        for y in 0..<8 { crop += x[(y * 20)..<(y * 20 + 8)] }
        let out = model.predict(Tensor(shape: [1, 8, 8, 1], data: crop)).data
        for y in 0..<3 {
            for xx in 0..<3 {
                for c in 0..<3 {
                    XCTAssertEqual(out[(y * 3 + xx) * 3 + c], wideOut[(y * 9 + xx) * 3 + c], accuracy: 1e-5)
                }
            }
        }
    }

    func testResizingADenseModelNamesTheLayer() throws {
        let model = try Sequential(inputShape: [4, 4, 1], layers: [Flatten(), Dense(units: 2)])
        XCTAssertThrowsError(try model.resized(inputShape: [4, 6, 1])) { error in
            XCTAssertTrue("\(error)".contains("dense"), "\(error)")
        }
    }
}
