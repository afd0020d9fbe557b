// LineCrops: characters cut out of text lines exactly as the OCR pipeline
// hands them to the classifier (LineInput's EMNIST framing of a box), from
// ground-truth boxes jittered by a few percent the way detections scatter.
// Training the classifier on these fits it to text lines: their rendering
// (polarity, light, blur, JPEG) and their uniform class mix.
import FoveaDetection
import FoveaEngine
import FoveaImage
import Foundation

public enum LineCropError: Error, CustomStringConvertible {
    case unknownLabel(file: String, label: String)
    case badImage(String)

    public var description: String {
        switch self {
        case .unknownLabel(let f, let l): return "\(f): character '\(l)' is not a class of the label mapping"
        case .badImage(let m): return m
        }
    }
}

public enum LineCrops {
    /// `copies` crops of every character of `lines`, each box moved and
    /// resized by up to `jitter` of its size (the first copy unjittered).
    public static func dataset(lines: [LineRecord], imagesFolder: String, mapping: LabelMapping, copies: Int = 2,
                               jitter: Double = 0.08, seed: UInt64 = 1) throws -> EMNISTDataset {
        let normalizer = CharacterNormalizer()
        let index = Dictionary(mapping.labels.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        var rng = SplitMix64(seed: seed)
        var pixels = [UInt8](), labels = [Int]()
        for line in lines {
            let path = URL(fileURLWithPath: imagesFolder).appendingPathComponent(line.fileName).path
            let image: Image
            do { image = try Image(contentsOf: path) } catch { throw LineCropError.badImage("\(path): \(error)") }
            let input = try LineInput(image: image, height: CharacterDetector.inputHeight, widthMultiple: 4)
            for c in line.characters {
                guard let label = index[c.label] else { throw LineCropError.unknownLabel(file: path, label: c.label) }
                for k in 0..<max(1, copies) {
                    var box = c.box
                    if k > 0 {
                        func j() -> Double { Double(rng.uniform(Float(-jitter), Float(jitter))) }
                        box = Box(x1: box.x1 + j() * box.width, y1: box.y1 + j() * box.height,
                                  x2: box.x2 + j() * box.width, y2: box.y2 + j() * box.height)
                    }
                    pixels += input.characterPixels(in: box, normalizer: normalizer)
                    labels.append(label)
                }
            }
        }
        let size = normalizer.size
        return EMNISTDataset(images: CharacterImages(count: labels.count, height: size, width: size, pixels: pixels), labels: labels)
    }
}
