// ExifOrientation: finds the orientation tag (0x0112) in a JPEG's Exif APP1
// payload and applies it, with the same meaning as Pillow's ImageOps.exif_transpose.

enum ExifOrientation {
    /// The orientation (1...8) in a TIFF-structured Exif payload (after "Exif\0\0"), or 1 when
    /// absent or malformed: a broken Exif block must not make a viewable photo unreadable.
    static func parse(_ tiff: UnsafeBufferPointer<UInt8>) -> Int {
        guard tiff.count >= 8 else { return 1 }
        let littleEndian: Bool
        switch (tiff[0], tiff[1]) {
        case (0x49, 0x49): littleEndian = true
        case (0x4D, 0x4D): littleEndian = false
        default: return 1
        }
        func u16(_ at: Int) -> Int? {
            guard at >= 0, at + 2 <= tiff.count else { return nil }
            let a = Int(tiff[at]), b = Int(tiff[at + 1])
            return littleEndian ? a | b << 8 : a << 8 | b
        }
        func u32(_ at: Int) -> Int? {
            guard let low = u16(littleEndian ? at : at + 2), let high = u16(littleEndian ? at + 2 : at) else { return nil }
            return high << 16 | low
        }
        guard u16(2) == 42, let ifd = u32(4), let entries = u16(ifd) else { return 1 }
        for index in 0..<entries {
            let entry = ifd + 2 + 12 * index
            guard let tag = u16(entry) else { return 1 }
            if tag == 0x0112 {
                guard u16(entry + 2) == 3, let value = u16(entry + 8), (1...8).contains(value) else { return 1 }
                return value
            }
        }
        return 1
    }
}

extension Image {
    /// The image turned upright as EXIF orientation `tag` (1...8) says; other values leave it unchanged.
    public func oriented(exif tag: Int) -> Image {
        switch tag {
        case 2: return flippedHorizontally()
        case 3: return rotated180()
        case 4: return flippedVertically()
        case 5: return transposed()
        case 6: return rotatedClockwise()
        case 7: return transversed()
        case 8: return rotatedCounterClockwise()
        default: return self
        }
    }
}
