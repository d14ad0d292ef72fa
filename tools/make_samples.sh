#!/usr/bin/env bash
# Writes the sample files share/files/NNNN.pdf: small, valid, one-page PDFs, byte for byte
# the same on every run (no dates, no random ids), made with bash, printf and awk only.
#
# Usage: tools/make_samples.sh [OUTPUT-DIR]        (default: share/files of this repository)
#
# Each page says "cdht sample file NNNN", gives the file's key, and shows a test-pattern
# image stored as raw (unfiltered) RGB bytes. The image's size sets the file's size, so the
# samples span a few KB to a few hundred KB, and its raw bytes (NUL, CR and LF among them)
# make the samples good checks that a transfer is binary-safe.
set -euo pipefail
export LC_ALL=C

if [[ ${1-} == -h || ${1-} == --help ]]; then
	sed -n '2,10s/^# \{0,1\}//p' "$0"
	exit 0
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
repo=$(cd "$here/.." && pwd -P)
outdir=${1:-$repo/share/files}
mkdir -p "$outdir"

# The samples: file name (four digits) and the side of its test-pattern image in pixels.
samples=(
	"2012 32"
	"2067 96"
	"4103 256"
)

pdf=			# the file being written
offsets=()		# byte offset of each object, indexed by object number

# Appends its arguments (printf format and values) to the PDF being written.
pdf_put() {
	# shellcheck disable=SC2059  # the format is always a literal of this script
	printf "$@" >>"$pdf"
}

# Starts object number $1: records its byte offset for the cross-reference table.
pdf_obj() {
	offsets[$1]=$(wc -c <"$pdf")
	pdf_put '%d 0 obj\n' "$1"
}

# Prints the raw RGB bytes of a side x side test pattern, seeded by the file name, as
# \0ooo escapes for printf %b (so NUL bytes survive: bash strings cannot hold them).
pattern_escapes() {
	awk -v n="$1" -v seed="$2" 'BEGIN {
		for (y = 0; y < n; y++) {
			for (x = 0; x < n; x++) {
				r = int(255 * x / (n - 1))
				g = int(255 * y / (n - 1))
				b = (x * y + seed * x + y + seed) % 256
				printf "\\0%03o\\0%03o\\0%03o", r, g, b
			}
		}
	}'
}

# Writes $outdir/$1.pdf with an image of $2 x $2 pixels.
make_pdf() {
	local name=$1 side=$2
	local key=$((10#$name % 256))
	local final=$outdir/$name.pdf
	pdf=$final.tmp.$$
	offsets=()
	: >"$pdf"

	# Header; the second line's bytes above 127 mark the file as binary for old tools.
	pdf_put '%%PDF-1.4\n%%\342\343\317\323\n'

	pdf_obj 1
	pdf_put '<< /Type /Catalog /Pages 2 0 R >>\nendobj\n'
	pdf_obj 2
	pdf_put '<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n'
	pdf_obj 3
	pdf_put '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]\n'
	pdf_put '   /Resources << /Font << /F1 4 0 R /F2 5 0 R >> /XObject << /Im1 6 0 R >> >>\n'
	pdf_put '   /Contents 7 0 R >>\nendobj\n'
	pdf_obj 4
	pdf_put '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>\nendobj\n'
	pdf_obj 5
	pdf_put '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold >>\nendobj\n'

	# The image: raw RGB, 8 bits a component, no filter.
	local bytes=$((side * side * 3))
	pdf_obj 6
	pdf_put '<< /Type /XObject /Subtype /Image /Width %d /Height %d\n' "$side" "$side"
	pdf_put '   /ColorSpace /DeviceRGB /BitsPerComponent 8 /Length %d >>\nstream\n' "$bytes"
	printf '%b' "$(pattern_escapes "$side" "$((10#$name % 97))")" >>"$pdf"
	pdf_put '\nendstream\nendobj\n'

	# The page's text and the image placement.
	local content
	content=$(
		printf 'BT /F2 28 Tf 72 760 Td (cdht sample file %s) Tj ET\n' "$name"
		printf 'BT /F1 13 Tf 72 720 Td 18 TL\n'
		printf '(This is %s.pdf, a sample file of the cdht circular DHT.) Tj T*\n' "$name"
		printf '(Its key is %s mod 256 = %d: the first peer at or after %d on the ring) Tj T*\n' \
			"$name" "$key" "$key"
		printf '(\\(wrapping past 255\\) holds it and sends it to whoever requests %s.) Tj T*\n' \
			"$name"
		printf '(Below: a %d x %d pixel test pattern, %d bytes of raw RGB \\(NUL, CR and LF) Tj T*\n' \
			"$side" "$side" "$bytes"
		printf '(among them\\) that give the file its size and test binary-safe transfers.) Tj T*\n'
		printf '(Made by tools/make_samples.sh; the same bytes on every run.) Tj\n'
		printf 'ET\n'
		printf 'q 360 0 0 360 117.5 250 cm /Im1 Do Q\n'
	)
	content+=$'\n'
	pdf_obj 7
	pdf_put '<< /Length %d >>\nstream\n%s\nendstream\nendobj\n' "${#content}" "$content"

	pdf_obj 8
	pdf_put '<< /Title (cdht sample file %s) /Producer (cdht tools/make_samples.sh) >>\nendobj\n' \
		"$name"

	# Cross-reference table: every entry exactly 20 bytes.
	local xref count=9 i
	xref=$(wc -c <"$pdf")
	pdf_put 'xref\n0 %d\n0000000000 65535 f \n' "$count"
	for ((i = 1; i < count; i++)); do
		pdf_put '%010d 00000 n \n' "${offsets[$i]}"
	done
	pdf_put 'trailer\n<< /Size %d /Root 1 0 R /Info 8 0 R >>\nstartxref\n%d\n%%%%EOF\n' \
		"$count" "$xref"

	mv -f "$pdf" "$final"
	printf '%s  %d bytes\n' "$final" "$(wc -c <"$final")"
}

for s in "${samples[@]}"; do
	read -r name side <<<"$s"
	make_pdf "$name" "$side"
done
