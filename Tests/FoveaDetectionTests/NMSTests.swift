// Greedy and batched NMS against torchvision-semantics vectors; soft-NMS, score
// threshold and top-k against hand-computed cases.
import XCTest
@testable import FoveaDetection

final class NMSTests: XCTestCase {
    func testGreedyNMSKeepsExactlyTheReferenceIndices() throws {
        let root = try XCTUnwrap(Fixture.json("iou_nms_vectors.json") as? [String: Any])
        let cases = try XCTUnwrap(root["nms_cases"] as? [[String: Any]])
        var checked = 0
        for c in cases {
            let boxes = (c["boxes"] as? [Any] ?? []).map(cornerBox)
            let scores = doubles(c["scores"])
            for e in c["expected"] as? [[String: Any]] ?? [] {
                let thr = number(e["iou_threshold"])
                let keep = (e["keep"] as? [Any] ?? []).map { Int(number($0)) }
                XCTAssertEqual(nonMaxSuppression(boxes: boxes, scores: scores, iouThreshold: thr), keep,
                               "\(c["tag"] ?? "?") at \(thr)")
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 50)
    }

    func testBatchedNMSKeepsExactlyTheReferenceIndices() throws {
        let root = try XCTUnwrap(Fixture.json("iou_nms_vectors.json") as? [String: Any])
        let cases = try XCTUnwrap(root["batched_nms_cases"] as? [[String: Any]])
        XCTAssertFalse(cases.isEmpty)
        for c in cases {
            let boxes = (c["boxes"] as? [Any] ?? []).map(cornerBox)
            let scores = doubles(c["scores"])
            let classes = (c["class_ids"] as? [Any] ?? []).map { Int(number($0)) }
            for e in c["expected"] as? [[String: Any]] ?? [] {
                let thr = number(e["iou_threshold"])
                let keep = (e["keep"] as? [Any] ?? []).map { Int(number($0)) }
                XCTAssertEqual(batchedNonMaxSuppression(boxes: boxes, scores: scores, classIDs: classes, iouThreshold: thr),
                               keep, "\(c["tag"] ?? "?") at \(thr)")
            }
        }
    }

    // Three boxes in a row: A [0,0,2,2], B shifted by 1 (IoU(A,B) = 2/6 = 1/3),
    // C shifted by 2 (IoU(A,C) = 0, IoU(B,C) = 1/3).
    let row = [Box(x1: 0, y1: 0, x2: 2, y2: 2), Box(x1: 1, y1: 0, x2: 3, y2: 2), Box(x1: 2, y1: 0, x2: 4, y2: 2)]

    func testScoreThresholdAndTopK() {
        let scores = [0.9, 0.8, 0.7]
        // Threshold 0.3 < 1/3: B suppressed by A, C survives (IoU with A is 0).
        XCTAssertEqual(nonMaxSuppression(boxes: row, scores: scores, iouThreshold: 0.3), [0, 2])
        XCTAssertEqual(nonMaxSuppression(boxes: row, scores: scores, iouThreshold: 0.3, topK: 1), [0])
        // Dropping A by score lets B suppress C.
        XCTAssertEqual(nonMaxSuppression(boxes: row, scores: [0.1, 0.8, 0.7], iouThreshold: 0.3, scoreThreshold: 0.5), [1])
        XCTAssertEqual(batchedNonMaxSuppression(boxes: row, scores: scores, classIDs: [1, 2, 1], iouThreshold: 0.3, topK: 2), [0, 1])
    }

    func testLinearSoftNMSHandComputed() {
        // Select A (0.9). B: IoU 1/3 > 0.3 → 0.8 * 2/3; C: IoU 0 → 0.7 stays.
        // Select C (0.7). B: IoU(B,C) = 1/3 → 0.8 * 2/3 * 2/3 = 0.35555…
        let out = softNonMaxSuppression(boxes: row, scores: [0.9, 0.8, 0.7], method: .linear(iouThreshold: 0.3))
        XCTAssertEqual(out.map(\.index), [0, 2, 1])
        XCTAssertEqual(out.map(\.score)[0], 0.9)
        XCTAssertEqual(out.map(\.score)[1], 0.7)
        XCTAssertEqual(out.map(\.score)[2], 0.8 * 4.0 / 9.0, accuracy: 1e-15)
        // A threshold above 1/3 leaves scores alone.
        XCTAssertEqual(softNonMaxSuppression(boxes: row, scores: [0.9, 0.8, 0.7], method: .linear(iouThreshold: 0.5)).map(\.score),
                       [0.9, 0.8, 0.7])
    }

    func testGaussianSoftNMSHandComputedAndPruned() {
        let sigma = 0.5
        let decay = exp(-(1.0 / 9.0) / sigma)  // IoU 1/3
        let out = softNonMaxSuppression(boxes: row, scores: [0.9, 0.8, 0.7], method: .gaussian(sigma: sigma))
        // After A: B = 0.8·decay ≈ 0.6406 < C = 0.7, so C is next; then B decays again.
        XCTAssertEqual(out.map(\.index), [0, 2, 1])
        XCTAssertEqual(out[2].score, 0.8 * decay * decay, accuracy: 1e-15)
        // With a score floor above 0.8·decay² ≈ 0.513, B is pruned.
        let pruned = softNonMaxSuppression(boxes: row, scores: [0.9, 0.8, 0.7], method: .gaussian(sigma: sigma), scoreThreshold: 0.6)
        XCTAssertEqual(pruned.map(\.index), [0, 2])
    }
}

final class NMSGridTests: XCTestCase {
    /// The grid walk must keep exactly what the all-pairs walk keeps, including zero-area,
    /// wide and touching boxes and thresholds of 0 and 1.
    func testGridWalkEqualsPairwiseWalk() {
        var rng = SplitMix(seed: 42)
        for trial in 0..<8 {
            let n = 200 + trial * 60
            var boxes: [Box] = [], scores: [Double] = []
            for _ in 0..<n {
                let x = rng.unit() * 500, y = rng.unit() * 500
                let w = trial % 3 == 0 ? rng.unit() * 400 : rng.unit() * 40
                let h = rng.unit() < 0.05 ? 0 : rng.unit() * 40
                boxes.append(Box(x1: (x * 4).rounded() / 4, y1: (y * 4).rounded() / 4,
                                 x2: ((x + w) * 4).rounded() / 4, y2: ((y + h) * 4).rounded() / 4))
                scores.append((rng.unit() * 16).rounded() / 16)  // many ties
            }
            let order = rankByScore(scores, scoreThreshold: -.infinity)
            for thr in [0.0, 0.3, 0.5, 0.7, 1.0] {
                let pairwise = greedyKeepPairwise(boxes, order: order, iouThreshold: thr, limit: .max)
                XCTAssertEqual(greedyKeepGrid(boxes, order: order, iouThreshold: thr, limit: .max), pairwise, "trial \(trial) thr \(thr)")
                XCTAssertEqual(greedyKeepGrid(boxes, order: order, iouThreshold: thr, limit: 7), Array(pairwise.prefix(7)))
            }
        }
    }
}

/// A small deterministic generator so the test does not depend on the system's.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
