// FaceDetector: the fully convolutional face detector behind `fovea smile
// photo.jpg`. A small backbone (3x3 convolutions, batch norm, a strided
// convolution and two poolings) brings a grey photo to a stride-8 feature
// map; a CenterNet head predicts there a centre heatmap, each face's size and
// its centre's offset. The network learnt faces of about 12-100 pixels, so a
// photo runs as a short pyramid (longest side 256, 128, 64) and the levels'
// boxes meet in one NMS. Each face comes out as the square the SMILEsmileD
// crops frame, which is what SmilePipeline crops for the landmark model.
import FoveaDetection
import FoveaEngine
import FoveaImage
import Foundation

public enum FaceDetectorError: Error, CustomStringConvertible {
    case unreadableModel(path: String, reason: String)
    case notADetector(path: String, reason: String)
    case tooSmall(width: Int, height: Int)

    public var description: String {
        switch self {
        case .unreadableModel(let p, let r): return "\(p): cannot load the face detector (\(r))"
        case .notADetector(let p, let r): return "\(p): not a Fovea face detector: \(r)"
        case .tooSmall(let w, let h):
            return "a \(w)x\(h) image is too small to look for faces in (at least \(FaceDetector.minimumSide)x\(FaceDetector.minimumSide) pixels)"
        }
    }
}

public final class FaceDetector: FaceFinding, @unchecked Sendable {
    public static let kind = "face-detector"
    public static let defaultFileName = "face-detector.safetensors"
    public static let stride = 8
    public static let minimumSide = 8
    public let geometry = CenterNetGeometry(stride: FaceDetector.stride)
    /// Longest side of the finest pyramid level; each further level halves it.
    public var longestSide = 256
    public var levels = 3
    /// A level is skipped when its longest side would fall below this.
    public var smallestLevel = 48
    public var nmsIoU = 0.4
    public let model: Sequential
    public let metadata: [String: String]
    private var bySize: [[Int]: Sequential] = [:]
    private let lock = NSLock()

    public init(model: Sequential, metadata: [String: String] = [:]) throws {
        guard model.inputShape.count == 3, model.inputShape[2] == 1,
              model.outputShape.last == CenterNetGeometry.predictionChannels,
              model.outputShape[0] * Self.stride == model.inputShape[0] else {
            throw FaceDetectorError.notADetector(
                path: model.name, reason: "input \(model.inputShape) / output \(model.outputShape), expected [H, W, 1] → [H/8, W/8, 5]")
        }
        self.model = model
        self.metadata = metadata
    }

    public convenience init(contentsOf path: String) throws {
        let file: ModelFile
        do { file = try ModelFile(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw FaceDetectorError.unreadableModel(path: path, reason: "\(error)")
        }
        guard file.training["kind"] == Self.kind else {
            throw FaceDetectorError.notADetector(path: path, reason: "its metadata names kind '\(file.training["kind"] ?? "none")', expected '\(Self.kind)'")
        }
        try self.init(model: file.model, metadata: file.training)
    }

    /// The committed detector (ModelLocator), or the file at `path`.
    public static func load(_ path: String? = nil) throws -> FaceDetector {
        try FaceDetector(contentsOf: path ?? ModelLocator.model(named: defaultFileName,
                                                                hint: "train one: Tools/train_face_detector.sh").path)
    }

    /// The detector network for `height`x`width` inputs (multiples of 8).
    public static func makeModel(height: Int, width: Int) throws -> Sequential {
        func conv(_ filters: Int, strides: Int = 1) -> [Layer] {
            [Conv2D(filters: filters, kernelSize: (3, 3), strides: strides, padding: .same, activation: .linear, useBias: false),
             BatchNormalization(), ActivationLayer(.relu)]
        }
        let pool = { MaxPooling2D(poolSize: 2, strides: 2, padding: .valid) }
        // Receptive field 109 px at stride 8: enough for the faces of one level.
        let layers: [Layer] = conv(16, strides: 2) + conv(24) + [pool()]
            + conv(32) + conv(48) + [pool()]
            + conv(64) + conv(64) + conv(64) + conv(64) + conv(64)
            + [Conv2D(filters: 64, kernelSize: (1, 1), strides: 1, padding: .same, activation: .relu),
               Conv2D(filters: CenterNetGeometry.predictionChannels, kernelSize: (1, 1), strides: 1, padding: .same,
                      activation: .linear)]
        let model = try Sequential(inputShape: [height, width, 1], layers: layers, name: "face-detector")
        // Heat logits start at a 1% prior (focal-loss practice); sizes at 4 cells.
        if let head = model.layers.last as? Conv2D, let bias = head.parameters.last {
            bias.value.data[0] = -4.6
            bias.value.data[1] = 4; bias.value.data[2] = 4
            bias.value.data[3] = 0.5; bias.value.data[4] = 0.5
        }
        return model
    }

    private func network(height: Int, width: Int) throws -> Sequential {
        lock.lock()
        defer { lock.unlock() }
        let shape = [height, width, 1]
        if shape == model.inputShape { return model }
        if let m = bySize[shape] { return m }
        let m = try model.resized(inputShape: shape)
        if bySize.count > 16 { bySize.removeAll() }
        bySize[shape] = m
        return m
    }

    /// Detector input for grey values: 0...1, padded on the right and bottom
    /// to multiples of 8 by repeating the edge.
    static func input(_ grey: [UInt8], width: Int, height: Int) -> (values: [Float], width: Int, height: Int) {
        let pw = (width + stride - 1) / stride * stride, ph = (height + stride - 1) / stride * stride
        var out = [Float](repeating: 0, count: pw * ph)
        for y in 0..<ph {
            let sy = min(y, height - 1)
            for x in 0..<pw { out[y * pw + x] = Float(grey[sy * width + min(x, width - 1)]) / 255 }
        }
        return (out, pw, ph)
    }

    /// The network's input (padded to multiples of 8) and raw prediction map
    /// [1, H/8, W/8, 5] for a grey picture already at the network's scale.
    public func predictLevel(_ grey: [UInt8], width: Int, height: Int) throws -> (input: Tensor, prediction: Tensor) {
        let (values, pw, ph) = Self.input(grey, width: width, height: height)
        let net = try network(height: ph, width: pw)
        let x = Tensor(shape: [1, ph, pw, 1], data: values)
        return (x, net.predict(x, batchSize: 1))
    }

    /// Boxes and scores on a grey picture already at the network's scale.
    public func detectLevel(_ grey: [UInt8], width: Int, height: Int, minScore: Double) throws -> [(box: Box, score: Double)] {
        let (input, p) = try predictLevel(grey, width: width, height: height)
        let (ph, pw) = (input.shape[1], input.shape[2])
        return p.data.withUnsafeBufferPointer {
            geometry.decode($0, featureHeight: ph / Self.stride, featureWidth: pw / Self.stride, minScore: minScore, nmsIoU: nmsIoU)
        }
    }

    /// Square face boxes in image pixels, best score first.
    public func faces(in image: Image, minScore: Double) throws -> [(box: Box, score: Double)] {
        guard image.width >= Self.minimumSide, image.height >= Self.minimumSide else {
            throw FaceDetectorError.tooSmall(width: image.width, height: image.height)
        }
        var boxes = [Box](), scores = [Double]()
        for scaled in pyramid(image) {
            let (w, h) = (scaled.width, scaled.height)
            for d in try detectLevel(scaled.pixels, width: w, height: h, minScore: minScore) {
                let sx = Double(image.width) / Double(w), sy = Double(image.height) / Double(h)
                let b = d.box.scaled(x: sx, y: sy)
                let s = (b.width + b.height) / 2
                boxes.append(Box(centerX: b.centerX, centerY: b.centerY, width: s, height: s))
                scores.append(d.score)
            }
        }
        let keep = Self.suppress(boxes: boxes, scores: scores, iou: nmsIoU)
        return keep.map { (boxes[$0], scores[$0]) }
    }

    /// The grey levels a photo is read at: its luma shrunk to a longest side
    /// of `longestSide`, then halves of that, while at least `smallestLevel`.
    public func pyramid(_ image: Image) -> [Image] {
        let grey = Image(width: image.width, height: image.height, channels: 1, pixels: FaceCrop.luma(image))
        let longest = Double(max(image.width, image.height))
        var out: [Image] = []
        for level in 0..<levels {
            let side = Double(longestSide) / Double(1 << level)
            guard side >= Double(smallestLevel) else { break }
            let f = side / longest
            let w = max(1, Int((Double(image.width) * f).rounded())), h = max(1, Int((Double(image.height) * f).rounded()))
            out.append(Self.shrink(grey, width: w, height: h))
        }
        return out
    }

    /// Greedy NMS that also drops a box lying mostly inside a better one
    /// (faces do not nest: such a box is a part of the face at another level).
    static func suppress(boxes: [Box], scores: [Double], iou: Double) -> [Int] {
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var kept = [Int]()
        for i in order {
            let b = boxes[i]
            let clash = kept.contains { k in
                let o = boxes[k]
                if b.iou(o) > iou { return true }
                let iw = min(b.x2, o.x2) - max(b.x1, o.x1), ih = min(b.y2, o.y2) - max(b.y1, o.y1)
                guard iw > 0, ih > 0 else { return false }
                return iw * ih > 0.6 * min(b.area, o.area)
            }
            if !clash { kept.append(i) }
        }
        return kept
    }

    /// A grey image resampled to `width`x`height`: area averaging by
    /// halvings first when shrinking a lot, so small levels do not alias.
    static func shrink(_ image: Image, width: Int, height: Int) -> Image {
        var current = image
        while current.width >= 2 * width && current.height >= 2 * height {
            current = halved(current)
        }
        if current.width == width && current.height == height { return current }
        return current.resized(width: width, height: height)
    }

    static func halved(_ image: Image) -> Image {
        let w = image.width / 2, h = image.height / 2
        var out = [UInt8](repeating: 0, count: w * h)
        let src = image.pixels, sw = image.width
        for y in 0..<h {
            for x in 0..<w {
                let i = 2 * y * sw + 2 * x
                let s = Int(src[i]) + Int(src[i + 1]) + Int(src[i + sw]) + Int(src[i + sw + 1])
                out[y * w + x] = UInt8((s + 2) / 4)
            }
        }
        return Image(width: w, height: h, channels: 1, pixels: out)
    }
}
