// EMNISTDataset: character images with their class indices and the label
// mapping (class index -> character), loaded from IDX files, plus the
// conversion to the engine's NHWC Float tensors.
import FoveaEngine
import Foundation

/// A stack of 8-bit grey character images, upright, ink = high values.
public struct CharacterImages: Sendable, Equatable {
    public var count: Int
    public var height: Int
    public var width: Int
    /// count * height * width bytes, image after image, row-major.
    public var pixels: [UInt8]

    public init(count: Int, height: Int, width: Int, pixels: [UInt8]) {
        precondition(pixels.count == count * height * width,
                     "\(count) images of \(height)x\(width) need \(count * height * width) bytes, got \(pixels.count)")
        self.count = count
        self.height = height
        self.width = width
        self.pixels = pixels
    }

    /// The pixels of image `index`, row-major.
    public func image(_ index: Int) -> ArraySlice<UInt8> {
        let plane = height * width
        return pixels[index * plane..<(index + 1) * plane]
    }

    /// Images at the given indices, in that order.
    public func subset(_ indices: [Int]) -> CharacterImages {
        var out = [UInt8]()
        out.reserveCapacity(indices.count * height * width)
        for i in indices { out.append(contentsOf: image(i)) }
        return CharacterImages(count: indices.count, height: height, width: width, pixels: out)
    }

    /// A `[count, height, width, 1]` tensor with values in 0...1.
    public func tensor() -> Tensor {
        Tensor(shape: [count, height, width, 1], data: pixels.map { Float($0) / 255 })
    }
}

public enum LabelMappingError: Error, CustomStringConvertible {
    case unreadable(path: String)
    case badLine(path: String, line: Int, text: String)
    case notDense(path: String, missing: Int)

    public var description: String {
        switch self {
        case .unreadable(let path):
            return "\(path): cannot read the label mapping file"
        case .badLine(let path, let line, let text):
            // A binary file passed by mistake would flood the terminal: show a short, printable excerpt.
            let excerpt = String(text.unicodeScalars.prefix(40).map { $0.isASCII && $0.value >= 32 ? Character($0) : "?" })
            return "\(path):\(line): \"\(excerpt)\" is not `label ascii_code` (two integers, as in emnist-bymerge-mapping.txt)"
        case .notDense(let path, let missing):
            return "\(path): class \(missing) has no entry; expected labels 0..<n, each once"
        }
    }
}

/// Class index -> printable label, as NIST's `emnist-*-mapping.txt` files give it.
public struct LabelMapping: Sendable, Equatable {
    public var labels: [String]

    public init(labels: [String]) { self.labels = labels }

    public var count: Int { labels.count }

    /// The 47 ByMerge/Balanced classes: digits, capitals, and the 11 lower-case
    /// letters whose shapes differ from their capitals.
    public static let emnistByMerge = LabelMapping(labels: "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabdefghnqrt".map { String($0) })

    /// Parses `label ascii_code` lines; labels must cover 0..<n exactly.
    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LabelMappingError.unreadable(path: path)
        }
        var byIndex = [Int: String]()
        for (number, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if fields.isEmpty { continue }
            guard fields.count == 2, let label = Int(fields[0]), let code = Int(fields[1]),
                  label >= 0, byIndex[label] == nil, let scalar = Unicode.Scalar(code), code > 32 else {
                throw LabelMappingError.badLine(path: path, line: number + 1, text: String(line))
            }
            byIndex[label] = String(Character(scalar))
        }
        var labels = [String]()
        for i in 0..<byIndex.count {
            guard let label = byIndex[i] else { throw LabelMappingError.notDense(path: path, missing: i) }
            labels.append(label)
        }
        self.labels = labels
    }

    /// The label of a class index, or the index itself when it is unmapped.
    public func label(_ index: Int) -> String {
        labels.indices.contains(index) ? labels[index] : String(index)
    }
}

/// Images and class indices read from a pair of IDX files.
public struct EMNISTDataset: Sendable {
    public var images: CharacterImages
    public var labels: [Int]

    public init(images: CharacterImages, labels: [Int]) {
        precondition(images.count == labels.count)
        self.images = images
        self.labels = labels
    }

    public var count: Int { labels.count }

    /// Loads and cross-checks an images file and a labels file. With a
    /// `classCount`, every label must be below it.
    public static func load(images imagesPath: String, labels labelsPath: String,
                            transposed: Bool = true, classCount: Int? = nil) throws -> EMNISTDataset {
        let images = try IDX.readImages(path: imagesPath, transposed: transposed)
        let labels = try IDX.readLabels(path: labelsPath)
        guard images.count == labels.count else {
            throw IDXError.countMismatch(images: imagesPath, imageCount: images.count,
                                         labels: labelsPath, labelCount: labels.count)
        }
        if let classCount, let bad = labels.firstIndex(where: { $0 >= classCount }) {
            throw IDXError.labelOutOfRange(path: labelsPath, index: bad, label: labels[bad], classCount: classCount)
        }
        return EMNISTDataset(images: images, labels: labels)
    }

    public func subset(_ indices: [Int]) -> EMNISTDataset {
        EMNISTDataset(images: images.subset(indices), labels: indices.map { labels[$0] })
    }

    /// Class indices as a `[count]` tensor, for sparse cross-entropy.
    public func labelTensor() -> Tensor {
        Tensor(shape: [count], data: labels.map { Float($0) })
    }
}
