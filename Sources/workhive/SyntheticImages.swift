/// Small generated images for the moderation demo (no image data ships with Workhive): each item is a
/// 16×16 RGB picture drawn from (seed, item). Safe pictures are sky over grass, some with a small
/// face-sized skin patch; "nudity" pictures are dominated by a skin-toned shape; "violence" pictures
/// by a blood-red splash. A few nudity pictures are drawn small on purpose, so the heuristic misses
/// them and the human spot-check has something to find.
enum SyntheticImages {
    static let side = 16
    static let labels = ["safe", "nudity", "violence"]

    /// What the picture shows. Only the generator and the simulated human reviewers know this; the
    /// agents see pixels.
    static func truth(seed: UInt64, item: Int) -> String {
        let roll = mix(seed, UInt64(item), 1) % 100
        return roll < 80 ? "safe" : roll < 90 ? "nudity" : "violence"
    }

    /// RGB bytes, row by row.
    static func render(seed: UInt64, item: Int) -> [UInt8] {
        var rng = mix(seed, UInt64(item), 2)
        func next() -> UInt64 {
            rng &+= 0x9E37_79B9_7F4A_7C15
            var z = rng
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        func jitter(_ base: Int, _ spread: Int) -> UInt8 { UInt8(clamping: base + Int(next() % UInt64(2 * spread + 1)) - spread) }
        var pixels = [UInt8](repeating: 0, count: side * side * 3)
        func put(_ x: Int, _ y: Int, _ r: UInt8, _ g: UInt8, _ b: UInt8) {
            let i = (y * side + x) * 3
            pixels[i] = r; pixels[i + 1] = g; pixels[i + 2] = b
        }
        for y in 0..<side {
            for x in 0..<side {
                if y < side / 2 { put(x, y, jitter(90, 20), jitter(150, 20), jitter(220, 20)) }  // sky
                else { put(x, y, jitter(60, 20), jitter(150, 25), jitter(50, 20)) }  // grass
            }
        }
        let label = truth(seed: seed, item: item)
        // An ellipse of relative radius `radius` around a random centre.
        func ellipse(radius: Double, _ paint: () -> (UInt8, UInt8, UInt8)) {
            let cx = Double(4 + Int(next() % 8)), cy = Double(4 + Int(next() % 8))
            let rx = radius * Double(side), ry = radius * Double(side) * 1.2
            for y in 0..<side {
                for x in 0..<side {
                    let dx = (Double(x) - cx) / rx, dy = (Double(y) - cy) / ry
                    if dx * dx + dy * dy <= 1 { let (r, g, b) = paint(); put(x, y, r, g, b) }
                }
            }
        }
        let skin = { (jitter(215, 20), jitter(160, 20), jitter(130, 20)) }
        switch label {
        case "nudity":
            let small = next() % 50 == 0  // 2% drawn too small for the heuristic
            ellipse(radius: small ? 0.16 : 0.42, skin)
        case "violence":
            ellipse(radius: 0.38) { (jitter(195, 25), jitter(15, 15), jitter(15, 15)) }
        default:
            if next() % 10 == 0 { ellipse(radius: 0.14, skin) }  // a face: still safe
        }
        return pixels
    }

    static func mix(_ a: UInt64, _ b: UInt64, _ c: UInt64) -> UInt64 {
        var z = a &* 0x9E37_79B9_7F4A_7C15 ^ b &* 0xC2B2_AE3D_27D4_EB4F ^ c &* 0x1656_67B1_9E37_79F9
        z = (z ^ (z >> 33)) &* 0xFF51_AFD7_ED55_8CCD
        return z ^ (z >> 33)
    }
}

/// The classifier every moderation agent runs, and the one rule it follows:
/// a pixel is skin by Kovac's RGB rule (R > 95, G > 40, B > 20, max−min > 15, |R−G| > 15, R > G,
/// R > B); a pixel is blood-red when R > 150 and G, B < 60. An image with at least 25% skin pixels
/// is `nudity`; otherwise one with at least 20% blood-red pixels is `violence`; otherwise `safe`.
enum ModerationHeuristic {
    static func classify(_ rgb: [UInt8]) -> String {
        var skin = 0, red = 0
        let pixels = rgb.count / 3
        for p in 0..<pixels {
            let r = Int(rgb[3 * p]), g = Int(rgb[3 * p + 1]), b = Int(rgb[3 * p + 2])
            let spread = max(r, g, b) - min(r, g, b)
            if r > 95 && g > 40 && b > 20 && spread > 15 && abs(r - g) > 15 && r > g && r > b { skin += 1 }
            if r > 150 && g < 60 && b < 60 { red += 1 }
        }
        if skin * 4 >= pixels { return "nudity" }
        if red * 5 >= pixels { return "violence" }
        return "safe"
    }
}
