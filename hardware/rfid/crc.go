package rfid

// crc16 is the CRC of ISO/IEC 13239 the Danish data model names: the
// CCITT polynomial x^16+x^12+x^5+1 (0x1021), register preset to 0xFFFF,
// bits taken most significant first, no final inversion. The data
// model's own check value: "RFID tag data model" gives 0x1AEE.
func crc16(data ...[]byte) uint16 {
	crc := uint16(0xFFFF)
	for _, d := range data {
		for _, b := range d {
			crc ^= uint16(b) << 8
			for i := 0; i < 8; i++ {
				if crc&0x8000 != 0 {
					crc = crc<<1 ^ 0x1021
				} else {
					crc <<= 1
				}
			}
		}
	}
	return crc
}
