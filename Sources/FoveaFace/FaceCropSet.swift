// FaceCropSet: 64x64 grey face crops with a smile label and 10 landmarks
// (the SMILEsmileD layout: images/, labels.csv, landmarks.csv), a seeded
// stratified train / validation / test split, and the label-preserving
// horizontal flip (left and right points swap).
import FoveaEngine
import FoveaImage
import Foundation

public enum FaceCropSetError: Error, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case malformed(path: String, line: Int, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let p, let r): return "\(p): cannot read (\(r))"
        case .malformed(let p, let l, let r): return "\(p):\(l): \(r)"
        }
    }
}

public enum FacePoint: Int, CaseIterable, Sendable {
    case eyeLeft, eyeRight, noseTip, mouthLeft, mouthRight, upperLipTop, lowerLipBottom, chin, upperLipInner, lowerLipInner

    /// The names of the data set's README and of the JSON output.
    public var name: String {
        ["eye_left", "eye_right", "nose_tip", "mouth_left", "mouth_right", "upper_lip_top", "lower_lip_bottom", "chin",
         "upper_lip_inner", "lower_lip_inner"][rawValue]
    }

    /// The point a horizontal flip turns this one into.
    public var mirrored: FacePoint {
        switch self {
        case .eyeLeft: return .eyeRight
        case .eyeRight: return .eyeLeft
        case .mouthLeft: return .mouthRight
        case .mouthRight: return .mouthLeft
        default: return self
        }
    }
}

public struct FaceCropSet: Sendable {
    public static let side = 64
    public var files: [String]
    /// `count * 64 * 64` grey values, 0...255.
    public var pixels: [UInt8]
    public var smiles: [Int]
    /// 20 values per crop (x0, y0, …, x9, y9) in crop pixels; nil where the
    /// labelling model found no face (ok = 0).
    public var landmarks: [[Float]?]
    /// 1: points from the crop; 2: found only in the mirrored crop (less reliable).
    public var quality: [Int]

    public var count: Int { files.count }

    public init(files: [String], pixels: [UInt8], smiles: [Int], landmarks: [[Float]?], quality: [Int]) {
        self.files = files
        self.pixels = pixels
        self.smiles = smiles
        self.landmarks = landmarks
        self.quality = quality
    }

    /// Reads a folder laid out as ../shared/datasets/smiles.
    public static func load(folder: String, limit: Int? = nil) throws -> FaceCropSet {
        let base = URL(fileURLWithPath: folder)
        let labelRows = try csv(base.appendingPathComponent("labels.csv").path)
        let markRows = try csv(base.appendingPathComponent("landmarks.csv").path)
        var marks = [String: ([Float]?, Int)]()
        for (i, row) in markRows.enumerated() {
            guard row.count == 22, let ok = Int(row[1]) else {
                throw FaceCropSetError.malformed(path: "landmarks.csv", line: i + 2, reason: "expected file,ok and 20 coordinates")
            }
            let values = row[2...].compactMap { Float($0) }
            marks[row[0]] = (ok == 0 || values.count != 20 ? nil : values, ok)
        }
        var set = FaceCropSet(files: [], pixels: [], smiles: [], landmarks: [], quality: [])
        for (i, row) in labelRows.enumerated() {
            if let limit, set.count >= limit { break }
            guard row.count == 2, let smile = Int(row[1]) else {
                throw FaceCropSetError.malformed(path: "labels.csv", line: i + 2, reason: "expected file,smile")
            }
            let path = base.appendingPathComponent("images").appendingPathComponent(row[0]).path
            let image: Image
            do { image = try Image(contentsOf: path) } catch {
                throw FaceCropSetError.unreadable(path: path, reason: "\(error)")
            }
            set.files.append(row[0])
            set.pixels += FaceCrop.gray64(image)
            set.smiles.append(smile)
            let (points, ok) = marks[row[0]] ?? (nil, 0)
            set.landmarks.append(points)
            set.quality.append(ok)
        }
        return set
    }

    private static func csv(_ path: String) throws -> [[String]] {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw FaceCropSetError.unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        return text.split(whereSeparator: \.isNewline).dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }

    public func subset(_ indices: [Int]) -> FaceCropSet {
        let n = Self.side * Self.side
        var pixels = [UInt8]()
        pixels.reserveCapacity(indices.count * n)
        for i in indices { pixels += self.pixels[(i * n)..<((i + 1) * n)] }
        return FaceCropSet(files: indices.map { files[$0] }, pixels: pixels, smiles: indices.map { smiles[$0] },
                           landmarks: indices.map { landmarks[$0] }, quality: indices.map { quality[$0] })
    }

    /// Seeded split of each label's crops in the given fractions (train, validation, rest = test).
    public func split(validation: Double = 0.15, test: Double = 0.15, seed: UInt64 = 2026)
        -> (train: [Int], validation: [Int], test: [Int]) {
        var rng = SplitMix64(seed: seed)
        var train = [Int](), val = [Int](), tst = [Int]()
        for label in [0, 1] {
            let members = (0..<count).filter { smiles[$0] == label }
            let order = rng.permutation(members.count).map { members[$0] }
            let nv = Int((Double(members.count) * validation).rounded()), nt = Int((Double(members.count) * test).rounded())
            tst += order[..<nt]
            val += order[nt..<(nt + nv)]
            train += order[(nt + nv)...]
        }
        return (train.sorted(), val.sorted(), tst.sorted())
    }

    /// The set with every crop mirrored left to right and its points moved
    /// and relabelled to match.
    public func mirrored() -> FaceCropSet {
        let s = Self.side
        var pixels = self.pixels
        for i in 0..<count {
            for y in 0..<s {
                for x in 0..<s { pixels[i * s * s + y * s + x] = self.pixels[i * s * s + y * s + (s - 1 - x)] }
            }
        }
        let marks = landmarks.map { $0.map(Self.mirror) }
        return FaceCropSet(files: files.map { "mirrored " + $0 }, pixels: pixels, smiles: smiles, landmarks: marks, quality: quality)
    }

    /// Points of a crop mirrored left to right (pixel centres: x → 63 − x).
    public static func mirror(_ p: [Float]) -> [Float] {
        var out = p
        for point in FacePoint.allCases {
            let to = point.mirrored.rawValue
            out[2 * to] = Float(side - 1) - p[2 * point.rawValue]
            out[2 * to + 1] = p[2 * point.rawValue + 1]
        }
        return out
    }

    public static func + (a: FaceCropSet, b: FaceCropSet) -> FaceCropSet {
        FaceCropSet(files: a.files + b.files, pixels: a.pixels + b.pixels, smiles: a.smiles + b.smiles,
                    landmarks: a.landmarks + b.landmarks, quality: a.quality + b.quality)
    }
}
