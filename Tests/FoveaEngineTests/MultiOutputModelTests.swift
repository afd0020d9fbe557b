// MultiOutputModel: the classification + localisation model (softmax class
// head, 4-unit box head, loss weights 0.8 / 0.2): gradients of the weighted
// total loss against finite differences, and training on a synthetic task
// whose answer is known (the class and box of a bright square).

import XCTest
@testable import FoveaEngine

final class MultiOutputModelTests: XCTestCase {
    private func classifierLocaliser(seed: UInt64, size: Int, classes: Int) throws -> MultiOutputModel {
        Engine.seed(seed)
        let trunk = try Sequential(inputShape: [size, size, 1], layers: [
            Conv2D(filters: 4, kernelSize: 3, padding: .same, activation: .relu),
            MaxPooling2D(poolSize: 2),
            Flatten(),
            Dense(units: 16, activation: .tanh),
        ], name: "trunk")
        let classHead = try Sequential(inputShape: [16], layers: [Dense(units: classes, activation: .softmax)], name: "class")
        let boxHead = try Sequential(inputShape: [16], layers: [Dense(units: 4)], name: "box")
        return try MultiOutputModel(trunk: trunk, heads: [
            .init(name: "class", model: classHead, loss: SoftmaxCrossEntropy(sparse: true), weight: 0.8),
            .init(name: "box", model: boxHead, loss: SmoothL1(), weight: 0.2),
        ])
    }

    func testWeightedLossGradientsMatchFiniteDifferences() throws {
        let model = try classifierLocaliser(seed: 4, size: 6, classes: 3)
        let x = randomTensor([3, 6, 6, 1], seed: 1)
        let classes = Tensor(shape: [3], data: [2, 0, 1])
        let boxes = randomTensor([3, 4], seed: 2, scale: 2)
        _ = model.computeGradients(x: x, targets: [classes, boxes])
        func totalLoss() -> Double {
            let out = model.forward(x, training: true)
            let ce = SoftmaxCrossEntropy(sparse: true).compute(prediction: out["class"]!, target: classes).loss
            let l1 = SmoothL1().compute(prediction: out["box"]!, target: boxes).loss
            return 0.8 * Double(ce) + 0.2 * Double(l1)
        }
        for p in model.trainableParameters {
            let analytic = p.grad.data.map(Double.init)
            let numeric = numericGradient(of: p.value, eps: 1e-3, totalLoss)
            XCTAssertLessThan(relativeError(analytic, numeric), 1e-2, p.name)
        }
    }

    /// 8x8 images with one bright 3x3 or 4x4 square; class = its size, box =
    /// its [top, left, bottom, right] / 8.
    private func squares(_ n: Int, seed: UInt64) -> (Tensor, Tensor, Tensor) {
        var rng = SplitMix64(seed: seed)
        let x = Tensor(shape: [n, 8, 8, 1])
        let cls = Tensor(shape: [n])
        let box = Tensor(shape: [n, 4])
        for i in 0..<n {
            let big = rng.next() % 2 == 1
            let side = big ? 4 : 3
            let top = Int(rng.next() % UInt64(9 - side)), left = Int(rng.next() % UInt64(9 - side))
            for y in top..<(top + side) { for xx in left..<(left + side) { x.data[i * 64 + y * 8 + xx] = 1 } }
            cls.data[i] = big ? 1 : 0
            box.data[(i * 4)..<(i * 4 + 4)] = [Float(top), Float(left), Float(top + side), Float(left + side)].map { $0 / 8 }[...]
        }
        return (x, cls, box)
    }

    func testTrainsOnSquaresTask() throws {
        let model = try classifierLocaliser(seed: 7, size: 8, classes: 2)
        model.compile(optimizer: Adam(learningRate: 0.01))
        let (x, cls, box) = squares(192, seed: 1)
        let (vx, vcls, vbox) = squares(64, seed: 2)
        let before = try model.evaluate(x: vx, y: ["class": vcls, "box": vbox])
        let history = try model.fit(x: x, y: ["class": cls, "box": box], epochs: 25, batchSize: 16,
                                    validation: (vx, ["class": vcls, "box": vbox]), seed: 1)
        XCTAssertEqual(history.epochsRun, 25)
        XCTAssertLessThan(history.loss.last!, history.loss.first! * 0.5)
        XCTAssertLessThan(history.metrics["val_box_loss"]!.last!, before["box_loss"]! * 0.3)
        XCTAssertGreaterThan(history.metrics["val_class_accuracy"]!.last!, 0.9)
        XCTAssertEqual(Set(model.predict(vx).keys), ["class", "box"])
    }

    func testMismatchedHeadsAndTargetsAreErrors() throws {
        let model = try classifierLocaliser(seed: 1, size: 6, classes: 3)
        model.compile(optimizer: SGD())
        XCTAssertThrowsError(try model.fit(x: Tensor(shape: [2, 6, 6, 1]), y: ["class": Tensor(shape: [2])]))
        let head = try Sequential(inputShape: [5], layers: [Dense(units: 4)])
        XCTAssertThrowsError(try MultiOutputModel(trunk: model.trunk, heads: [.init(name: "b", model: head, loss: MeanSquaredError())]))
    }
}
