"""Deterministic complaint records for the portal simulator (Laporpaman style).

`generate(good, bad, seed)` builds the seeded records of a Kalimantan Selatan
provincial portal: Indonesian field names, places written the way citizens
write them (with the spelling variants of mappings/regions/63.csv), WITA wall
clock times without an offset, and a few records that are quirky but usable
(`QUIRK_KINDS`) or deliberately broken (`BAD_KINDS`). The same seed always gives
the same records; `new_record` makes one more good record for a given id.
A seeded record that was worked on (status other than "baru") carries the local
follow-ups (`tanggapan`) that led to its status, numbered portal-wide in time order.

Not here: paging, filtering, auth, the HTTP shapes (see `connector.sim.portal`).
Attachment URLs are stored as paths; the portal makes them absolute.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

# WITA has had no daylight saving time since 1988, so a fixed offset is exact
# and spares the simulator a tzdata dependency.
WITA = timezone(timedelta(hours=8), "WITA")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
INCIDENT_FORMAT = "%d/%m/%Y"
WINDOW_START = datetime(2026, 1, 5, 0, 0, 0)
WINDOW_END = datetime(2026, 3, 31, 23, 59, 59)
FIRST_ID = 1001
# Follow-up ids have their own range, so a test that mixes up a record id and a
# follow-up id fails instead of passing by coincidence.
FIRST_TANGGAPAN_ID = 70001

CATEGORIES = (
    "Jalan dan Jembatan",
    "Drainase dan Banjir",
    "Air Bersih",
    "Persampahan",
    "Kesehatan",
    "Pendidikan",
    "Administrasi Kependudukan",
    "Perhubungan",
    "Lingkungan Hidup",
    "Listrik",
    "Bantuan Sosial",
    "Ketertiban Umum",
    "Perizinan",
    "Pelayanan Publik Lainnya",
)
CLASSIFICATIONS = ("Pengaduan", "Aspirasi", "Permintaan Informasi")
STATUSES = ("baru", "proses", "selesai", "ditolak")
BAD_KINDS = ("missing_body", "bad_date", "missing_privacy")
QUIRK_KINDS = ("unknown_category", "bad_phone", "bad_email")

# code, short name, ways citizens write it (kabupaten/kota level), kecamatan.
# Kecamatan names were chosen so none of them is an alias of another kabupaten.
REGIONS = (
    (
        "63.01",
        "Tanah Laut",
        ("Kabupaten Tanah Laut", "Kab. Tanah Laut", "Tanah Laut"),
        ("Pelaihari", "Takisung", "Jorong", "Bati-Bati", "Kurau", "Bumi Makmur", "Kintap"),
    ),
    (
        "63.02",
        "Kotabaru",
        ("Kabupaten Kotabaru", "Kab. Kotabaru", "Kotabaru", "Kota Baru", "Kab. Kota Baru"),
        ("Pulau Laut Utara", "Pulau Laut Sigam", "Kelumpang Hilir", "Sampanahan", "Hampang"),
    ),
    (
        "63.03",
        "Banjar",
        ("Kabupaten Banjar", "Kab. Banjar"),
        (
            "Martapura",
            "Gambut",
            "Kertak Hanyar",
            "Sungai Tabuk",
            "Astambul",
            "Karang Intan",
            "Aluh-Aluh",
        ),
    ),
    (
        "63.04",
        "Barito Kuala",
        ("Kabupaten Barito Kuala", "Kab. Barito Kuala", "Barito Kuala"),
        ("Marabahan", "Alalak", "Anjir Pasar", "Tamban", "Mandastana", "Wanaraya"),
    ),
    (
        "63.05",
        "Tapin",
        ("Kabupaten Tapin", "Kab. Tapin", "Tapin"),
        ("Tapin Utara", "Binuang", "Bakarangan", "Candi Laras Selatan", "Lokpaikat"),
    ),
    (
        "63.06",
        "Hulu Sungai Selatan",
        ("Kabupaten Hulu Sungai Selatan", "Kab. Hulu Sungai Selatan", "Hulu Sungai Selatan"),
        ("Kandangan", "Daha Selatan", "Angkinang", "Simpur", "Padang Batung", "Loksado"),
    ),
    (
        "63.07",
        "Hulu Sungai Tengah",
        ("Kabupaten Hulu Sungai Tengah", "Kab. Hulu Sungai Tengah", "Hulu Sungai Tengah"),
        ("Barabai", "Pandawan", "Batang Alai Selatan", "Haruyan", "Hantakan"),
    ),
    (
        "63.08",
        "Hulu Sungai Utara",
        ("Kabupaten Hulu Sungai Utara", "Kab. Hulu Sungai Utara", "Hulu Sungai Utara"),
        ("Amuntai Tengah", "Amuntai Selatan", "Babirik", "Sungai Pandan", "Danau Panggang"),
    ),
    (
        "63.09",
        "Tabalong",
        ("Kabupaten Tabalong", "Kab. Tabalong", "Tabalong"),
        ("Tanjung", "Murung Pudak", "Kelua", "Muara Uya", "Haruai", "Upau"),
    ),
    (
        "63.10",
        "Tanah Bumbu",
        ("Kabupaten Tanah Bumbu", "Kab. Tanah Bumbu", "Tanah Bumbu"),
        ("Batulicin", "Simpang Empat", "Kusan Hilir", "Sungai Loban", "Satui", "Angsana"),
    ),
    (
        "63.11",
        "Balangan",
        ("Kabupaten Balangan", "Kab. Balangan", "Balangan"),
        ("Paringin", "Juai", "Lampihong", "Awayan", "Batumandi", "Halong"),
    ),
    (
        "63.71",
        "Banjarmasin",
        ("Kota Banjarmasin", "Banjarmasin"),
        (
            "Banjarmasin Utara",
            "Banjarmasin Selatan",
            "Banjarmasin Tengah",
            "Banjarmasin Timur",
            "Banjarmasin Barat",
        ),
    ),
    (
        "63.72",
        "Banjarbaru",
        ("Kota Banjarbaru", "Banjarbaru", "Banjar Baru", "Kota Banjar Baru"),
        ("Landasan Ulin", "Liang Anggang", "Cempaka", "Banjarbaru Utara", "Banjarbaru Selatan"),
    ),
)
# Street names carry no kabupaten name, so the place in `lokasi` stays unambiguous.
STREETS = (
    "Jl. A. Yani",
    "Jl. Pangeran Antasari",
    "Jl. Lambung Mangkurat",
    "Jl. Veteran",
    "Jl. Pramuka",
    "Jl. Sultan Adam",
    "Jl. Hasan Basri",
    "Jl. Gatot Subroto",
    "Jl. Trikora",
    "Jl. Panglima Batur",
    "Jl. Mistar Cokrokusumo",
    "Jl. Merdeka",
    "Jl. Pahlawan",
    "Jl. Kayu Tangi",
    "Jl. Belitung Darat",
    "Jl. Bhayangkara",
    "Jl. Gubernur Syarkawi",
    "Jl. Provinsi",
    "Jl. Manggis",
    "Jl. Sungai Andai",
)

# kategori, klasifikasi, weight, judul templates, body sentences (the first always opens the body;
# one to four of the others follow in order).
TOPICS = (
    (
        "Jalan dan Jembatan",
        "Pengaduan",
        8,
        ("Jalan berlubang di {jalan}", "Jalan rusak parah di {jalan}, Kec. {kec}"),
        (
            "Sudah {durasi} jalan di {jalan} berlubang dan belum diperbaiki.",
            "Kalau hujan lubangnya tergenang air sehingga tidak kelihatan.",
            "Minggu lalu ada pengendara motor yang jatuh.",
            "Jalan ini dilewati anak sekolah setiap hari.",
            "Mohon segera ditambal sebelum ada korban lagi.",
        ),
    ),
    (
        "Jalan dan Jembatan",
        "Pengaduan",
        3,
        ("Jembatan kayu lapuk di Kec. {kec}", "Jembatan penghubung desa hampir putus"),
        (
            "Jembatan kayu penghubung desa di Kec. {kec} sudah lapuk.",
            "Beberapa papan lantainya patah dan berlubang.",
            "Warga terpaksa memutar jauh kalau membawa hasil kebun.",
            "Mohon dinas terkait meninjau ke lapangan.",
        ),
    ),
    (
        "Drainase dan Banjir",
        "Pengaduan",
        7,
        ("Banjir setiap hujan di {jalan}", "Drainase tersumbat di Kec. {kec}"),
        (
            "Setiap hujan deras {jalan} tergenang setinggi lutut karena drainase tersumbat.",
            "Saluran di sepanjang jalan penuh sampah dan lumpur.",
            "Air masuk ke rumah warga dan baru surut setelah dua hari.",
            "Sudah pernah dilaporkan ke kelurahan tapi belum ada tindakan.",
            "Mohon saluran dinormalisasi sebelum musim hujan puncak.",
        ),
    ),
    (
        "Air Bersih",
        "Pengaduan",
        6,
        ("Air PDAM mati {durasi}", "Air PDAM tidak mengalir di {jalan}"),
        (
            "Air PDAM di rumah kami di {jalan} mati sudah {durasi}.",
            "Kalaupun mengalir hanya tengah malam dan kecil sekali.",
            "Kami terpaksa membeli air galon untuk mandi dan memasak.",
            "Tagihan tetap datang seperti biasa padahal air tidak mengalir.",
            "Mohon penjelasan dan perbaikan secepatnya.",
        ),
    ),
    (
        "Air Bersih",
        "Pengaduan",
        2,
        ("Air PDAM keruh dan berbau di Kec. {kec}",),
        (
            "Air PDAM yang mengalir ke rumah kami di Kec. {kec} keruh kecoklatan dan berbau.",
            "Sudah {durasi} keadaannya seperti ini.",
            "Anak-anak gatal-gatal setelah mandi.",
            "Mohon kualitas air diperiksa.",
        ),
    ),
    (
        "Persampahan",
        "Pengaduan",
        6,
        ("Sampah menumpuk di TPS {jalan}", "Sampah tidak diangkut di Kec. {kec}"),
        (
            "Sampah di TPS dekat {jalan} sudah {durasi} tidak diangkut.",
            "Baunya sampai ke rumah warga dan mengundang lalat.",
            "Sebagian sampah berserakan ke badan jalan.",
            "Mohon jadwal pengangkutan diperbaiki.",
        ),
    ),
    (
        "Kesehatan",
        "Pengaduan",
        5,
        ("Antrean lama di {puskesmas}", "Obat kosong di {puskesmas}"),
        (
            "Saya berobat ke {puskesmas} dan harus antre dari pagi sampai siang.",
            "Petugas pendaftaran hanya satu orang.",
            "Obat yang diresepkan dokter katanya kosong dan disuruh beli di apotek luar.",
            "Mohon pelayanan di puskesmas ini dibenahi.",
        ),
    ),
    (
        "Kesehatan",
        "Pengaduan",
        2,
        ("Kartu BPJS ditolak di {puskesmas}",),
        (
            "Kartu BPJS Kesehatan saya aktif tetapi petugas di {puskesmas} bilang tidak bisa dipakai.",
            "Saya diminta membayar sebagai pasien umum.",
            "Iuran selalu saya bayar tepat waktu.",
            "Mohon penjelasan dari pihak terkait.",
        ),
    ),
    (
        "Pendidikan",
        "Pengaduan",
        3,
        ("Masalah PPDB zonasi di {sekolah}",),
        (
            "Anak saya tidak diterima di {sekolah} padahal rumah kami dekat sekolah.",
            "Pengumuman hasil PPDB tidak jelas dasarnya.",
            "Ada tetangga yang rumahnya lebih jauh malah diterima.",
            "Kami sudah bertanya ke sekolah tapi dilempar ke dinas.",
            "Mohon ada kejelasan dan transparansi.",
        ),
    ),
    (
        "Pendidikan",
        "Pengaduan",
        2,
        ("Pungutan uang pembangunan di {sekolah}",),
        (
            "Orang tua murid di {sekolah} diminta membayar uang pembangunan.",
            "Tidak ada kuitansi maupun rapat komite sebelumnya.",
            "Yang belum membayar anaknya ditegur di depan kelas.",
            "Mohon diperiksa apakah pungutan ini resmi.",
        ),
    ),
    (
        "Administrasi Kependudukan",
        "Pengaduan",
        6,
        ("KTP-el belum jadi {durasi}", "Blangko KTP-el habis di Disdukcapil {kab}"),
        (
            "Saya merekam KTP-el di Disdukcapil {kab} dan sampai sekarang sudah {durasi} belum jadi.",
            "Setiap kali ditanya jawabannya blangko habis.",
            "Saya butuh KTP untuk melamar kerja.",
            "Mohon dibantu agar segera dicetak.",
        ),
    ),
    (
        "Administrasi Kependudukan",
        "Pengaduan",
        2,
        ("Perubahan KK lama di Disdukcapil {kab}",),
        (
            "Saya mengajukan perubahan Kartu Keluarga di Disdukcapil {kab} sejak {durasi} lalu.",
            "Berkas sudah lengkap tetapi selalu disuruh kembali minggu depan.",
            "Mohon kejelasan kapan KK bisa diambil.",
        ),
    ),
    (
        "Perhubungan",
        "Pengaduan",
        3,
        ("Lampu jalan mati di {jalan}",),
        (
            "Lampu penerangan jalan umum di {jalan} sudah {durasi} padam.",
            "Malam hari jalan ini gelap gulita dan rawan kejahatan.",
            "Sudah ada beberapa kejadian jambret di sini.",
            "Mohon segera diperbaiki oleh Dinas Perhubungan.",
        ),
    ),
    (
        "Perhubungan",
        "Pengaduan",
        2,
        ("Angkutan umum jarang lewat di Kec. {kec}",),
        (
            "Angkutan umum dari Kec. {kec} ke pusat kota sekarang jarang sekali lewat.",
            "Kami harus menunggu lebih dari satu jam.",
            "Ongkos ojek terlalu mahal untuk pulang pergi setiap hari.",
            "Mohon trayek ini diperhatikan.",
        ),
    ),
    (
        "Lingkungan Hidup",
        "Pengaduan",
        3,
        ("Limbah dibuang ke sungai di Kec. {kec}",),
        (
            "Ada limbah cair berbau yang dibuang ke sungai di Kec. {kec}.",
            "Air sungai berubah warna dan ikan banyak mati.",
            "Warga masih memakai air sungai untuk mencuci.",
            "Mohon Dinas Lingkungan Hidup turun memeriksa.",
        ),
    ),
    (
        "Lingkungan Hidup",
        "Pengaduan",
        2,
        ("Debu angkutan batu bara di {jalan}",),
        (
            "Truk angkutan batu bara melintas di {jalan} siang malam.",
            "Debunya masuk ke rumah dan warung warga.",
            "Warga sekitar mulai batuk-batuk.",
            "Mohon jalan disiram dan jam operasional truk diatur.",
        ),
    ),
    (
        "Listrik",
        "Pengaduan",
        4,
        ("Listrik padam berulang kali di Kec. {kec}",),
        (
            "Listrik di daerah kami di Kec. {kec} padam hampir setiap hari selama {durasi}.",
            "Tidak ada pemberitahuan sebelumnya.",
            "Beberapa alat elektronik warga rusak karena tegangan naik turun.",
            "Mohon PLN memberi penjelasan.",
        ),
    ),
    (
        "Listrik",
        "Pengaduan",
        1,
        ("Tiang listrik miring di {jalan}",),
        (
            "Tiang listrik di {jalan} sudah miring dan kabelnya menjuntai rendah.",
            "Kalau angin kencang tiangnya bergoyang.",
            "Mohon segera diperbaiki sebelum roboh.",
        ),
    ),
    (
        "Bantuan Sosial",
        "Pengaduan",
        3,
        ("Bansos tidak tepat sasaran di Kec. {kec}",),
        (
            "Bantuan sosial di lingkungan kami di Kec. {kec} banyak yang tidak tepat sasaran.",
            "Warga yang mampu menerima sedangkan janda lansia tidak terdaftar.",
            "Mohon data penerima diperiksa ulang.",
        ),
    ),
    (
        "Bantuan Sosial",
        "Pengaduan",
        2,
        ("Bantuan PKH tidak cair {durasi}",),
        (
            "Bantuan PKH keluarga kami sudah {durasi} tidak cair.",
            "Pendamping PKH tidak bisa memberi kepastian.",
            "Kami tidak pernah diberi tahu kalau dicoret dari daftar.",
            "Mohon dicek status kepesertaan kami.",
        ),
    ),
    (
        "Ketertiban Umum",
        "Pengaduan",
        3,
        ("Pungli parkir di {jalan}",),
        (
            "Di {jalan} ada juru parkir yang meminta bayaran dua kali lipat tanpa karcis.",
            "Kalau menolak membayar kami dimarahi.",
            "Mohon Satpol PP dan Dinas Perhubungan menertibkan.",
        ),
    ),
    (
        "Ketertiban Umum",
        "Pengaduan",
        2,
        ("Balap liar setiap malam di {jalan}",),
        (
            "Setiap malam minggu ada balap liar di {jalan}.",
            "Suara knalpotnya sangat bising sampai dini hari.",
            "Warga yang menegur malah ditantang.",
            "Mohon ada patroli rutin.",
        ),
    ),
    (
        "Perizinan",
        "Pengaduan",
        3,
        ("Izin usaha tidak kunjung terbit", "Pengurusan PBG lambat di {kab}"),
        (
            "Saya mengurus izin di DPMPTSP {kab} sejak {durasi} lalu.",
            "Berkas sudah lengkap tetapi statusnya di sistem tidak berubah.",
            "Ada oknum yang menawarkan jalur cepat dengan bayaran.",
            "Mohon kejelasan prosedur dan waktunya.",
        ),
    ),
    (
        "Pelayanan Publik Lainnya",
        "Pengaduan",
        4,
        ("Pelayanan kantor kelurahan lambat", "Petugas tidak ada di kantor saat jam kerja"),
        (
            "Saya datang ke kantor kelurahan di Kec. {kec} pada jam kerja tetapi petugas tidak ada.",
            "Surat keterangan yang saya perlukan baru selesai setelah {durasi}.",
            "Tidak ada papan informasi alur pelayanan.",
            "Mohon disiplin pegawai diperhatikan.",
        ),
    ),
    (
        "Jalan dan Jembatan",
        "Aspirasi",
        2,
        ("Usulan pelebaran {jalan}",),
        (
            "Kami warga sekitar {jalan} mengusulkan pelebaran jalan.",
            "Kendaraan makin banyak dan sering macet pada jam sekolah.",
            "Semoga bisa masuk rencana anggaran tahun depan.",
        ),
    ),
    (
        "Perhubungan",
        "Aspirasi",
        2,
        ("Usulan rute bus Trans Banjarbakula ke Kec. {kec}",),
        (
            "Kami mengusulkan rute bus Trans Banjarbakula diperpanjang sampai Kec. {kec}.",
            "Banyak pekerja dan mahasiswa yang pulang pergi setiap hari.",
            "Angkutan umum yang ada sekarang sangat terbatas.",
        ),
    ),
    (
        "Lingkungan Hidup",
        "Aspirasi",
        2,
        ("Usulan taman dan ruang terbuka hijau di Kec. {kec}",),
        (
            "Di Kec. {kec} belum ada ruang terbuka hijau untuk anak-anak bermain.",
            "Ada lahan kosong milik pemerintah yang bisa dimanfaatkan.",
            "Mohon dipertimbangkan untuk dibangun taman.",
        ),
    ),
    (
        "Pendidikan",
        "Permintaan Informasi",
        2,
        ("Jadwal PPDB tahun ini",),
        (
            "Mohon informasi jadwal dan syarat PPDB tahun ini untuk {sekolah}.",
            "Apakah pendaftaran jalur zonasi dilakukan secara daring?",
            "Terima kasih atas informasinya.",
        ),
    ),
    (
        "Administrasi Kependudukan",
        "Permintaan Informasi",
        2,
        ("Syarat pindah domisili",),
        (
            "Saya ingin pindah domisili ke {kab}, apa saja syarat yang harus disiapkan?",
            "Apakah bisa diurus secara daring?",
            "Mohon informasinya.",
        ),
    ),
    (
        "Listrik",
        "Permintaan Informasi",
        1,
        ("Jadwal pemadaman listrik di Kec. {kec}",),
        (
            "Mohon informasi jadwal pemeliharaan jaringan dan pemadaman listrik di Kec. {kec} bulan ini.",
            "Kami punya usaha yang memakai mesin pendingin.",
        ),
    ),
    (
        "Bantuan Sosial",
        "Permintaan Informasi",
        1,
        ("Cara mendaftar bantuan sosial",),
        (
            "Bagaimana cara mendaftar sebagai penerima bantuan sosial?",
            "Ibu saya sudah lansia dan tinggal sendiri di Kec. {kec}.",
            "Mohon penjelasan prosedurnya.",
        ),
    ),
)
DURATIONS = ("tiga hari", "seminggu", "dua minggu", "sebulan", "dua bulan", "hampir tiga bulan")
UNKNOWN_CATEGORIES = (
    "Pungutan Liar di Pasar",
    "Parkir Liar",
    "Tambang Tanpa Izin",
    "Reklame Liar",
    "Perumahan Subsidi",
)

AGENCIES = {
    "Jalan dan Jembatan": ("dinas-pupr-63", "Dinas PUPR Provinsi Kalimantan Selatan"),
    "Drainase dan Banjir": ("dinas-pupr-63", "Dinas PUPR Provinsi Kalimantan Selatan"),
    "Air Bersih": (
        "dinas-perkim-63",
        "Dinas Perumahan dan Kawasan Permukiman Provinsi Kalimantan Selatan",
    ),
    "Persampahan": ("dlh-63", "Dinas Lingkungan Hidup Provinsi Kalimantan Selatan"),
    "Kesehatan": ("dinkes-63", "Dinas Kesehatan Provinsi Kalimantan Selatan"),
    "Pendidikan": ("disdikbud-63", "Dinas Pendidikan dan Kebudayaan Provinsi Kalimantan Selatan"),
    "Perhubungan": ("dishub-63", "Dinas Perhubungan Provinsi Kalimantan Selatan"),
    "Lingkungan Hidup": ("dlh-63", "Dinas Lingkungan Hidup Provinsi Kalimantan Selatan"),
    "Listrik": (
        "pln-uid-kalselteng",
        "PT PLN (Persero) UID Kalimantan Selatan dan Kalimantan Tengah",
    ),
    "Bantuan Sosial": ("dinsos-63", "Dinas Sosial Provinsi Kalimantan Selatan"),
    "Ketertiban Umum": ("satpolpp-63", "Satuan Polisi Pamong Praja Provinsi Kalimantan Selatan"),
    "Perizinan": ("dpmptsp-63", "Dinas Penanaman Modal dan PTSP Provinsi Kalimantan Selatan"),
}

# Who writes a record's follow-ups, by category: {area} is the kabupaten/kota ("Kota Banjarbaru",
# "Kabupaten Banjar"), {short} its short name. A rejection comes from the portal's own admin.
RESPONDERS = {
    "Jalan dan Jembatan": "Petugas Dinas PUPR {area}",
    "Drainase dan Banjir": "Petugas Dinas PUPR {area}",
    "Air Bersih": "Petugas PDAM {area}",
    "Persampahan": "Petugas Dinas Lingkungan Hidup {area}",
    "Kesehatan": "Petugas Dinas Kesehatan {area}",
    "Pendidikan": "Petugas Dinas Pendidikan {area}",
    "Administrasi Kependudukan": "Petugas Disdukcapil {area}",
    "Perhubungan": "Petugas Dinas Perhubungan {area}",
    "Lingkungan Hidup": "Petugas Dinas Lingkungan Hidup {area}",
    "Listrik": "Petugas PLN ULP {short}",
    "Bantuan Sosial": "Petugas Dinas Sosial {area}",
    "Ketertiban Umum": "Petugas Satpol PP {area}",
    "Perizinan": "Petugas DPMPTSP {area}",
    "Pelayanan Publik Lainnya": "Petugas Bagian Organisasi Setda {area}",
}
PORTAL_ADMIN = "Admin LAPOR PAMAN Diskominfo Kalsel"
# The local follow-ups that lead to each status, in order.
FOLLOW_UP_STEPS = {
    "baru": (),
    "proses": ("proses",),
    "selesai": ("proses", "selesai"),
    "ditolak": ("ditolak",),
}
REPLIES = {
    "proses": (
        "Terima kasih atas laporan Bapak/Ibu. Laporan sudah kami terima dan sedang ditindaklanjuti oleh bidang terkait.",
        "Laporan telah diverifikasi. Tim kami akan meninjau lokasi dalam waktu dekat.",
        "Laporan sudah kami teruskan ke petugas lapangan untuk dicek dan ditangani.",
        "Mohon maaf atas ketidaknyamanannya. Permasalahan ini sedang kami koordinasikan dengan unit terkait.",
    ),
    "selesai": (
        "Tindak lanjut sudah selesai dilaksanakan. Terima kasih atas partisipasi Bapak/Ibu.",
        "Petugas sudah turun ke lokasi dan permasalahan telah ditangani. Silakan laporkan kembali bila masih terjadi.",
        "Perbaikan sudah dikerjakan dan dicek ulang oleh petugas. Laporan ini kami nyatakan selesai.",
    ),
    "ditolak": (
        (
            "Laporan tidak dapat ditindaklanjuti karena lokasi dan kronologinya kurang jelas. "
            "Silakan kirim laporan baru dengan keterangan lengkap."
        ),
        "Laporan ini bukan kewenangan pemerintah daerah. Silakan sampaikan kepada instansi yang berwenang.",
        "Laporan yang sama sudah pernah disampaikan dan sedang ditangani, sehingga laporan ini kami tutup.",
    ),
}

MALE_NAMES = (
    "Muhammad",
    "Ahmad",
    "Akhmad",
    "Rizky",
    "Fajar",
    "Budi",
    "Hendra",
    "Rahmadi",
    "Syahrani",
    "Gusti",
    "Arief",
    "Noor",
    "Abdul",
    "Fauzan",
    "Hairul",
    "Taufik",
    "Yusuf",
    "Irwan",
    "Agus",
    "Saiful",
)
MALE_SURNAMES = (
    "Rahman",
    "Hidayat",
    "Saputra",
    "Syahputra",
    "Maulana",
    "Wahyudi",
    "Pratama",
    "Kurniawan",
    "Anwar",
    "Effendi",
    "Basri",
    "Arsyad",
    "Mahmud",
    "Rasyid",
    "Fadillah",
    "Ansyari",
)
FEMALE_NAMES = (
    "Siti",
    "Nor",
    "Rina",
    "Dewi",
    "Fitri",
    "Nurul",
    "Rahmah",
    "Lestari",
    "Maulida",
    "Rusmini",
    "Sri",
    "Salasiah",
    "Mariana",
    "Norlaila",
    "Husna",
    "Aulia",
    "Yuliana",
    "Raudah",
)
FEMALE_SURNAMES = (
    "Hasanah",
    "Aminah",
    "Fitriani",
    "Rahmawati",
    "Yanti",
    "Wahyuni",
    "Jannah",
    "Safitri",
    "Maulidah",
    "Khairunnisa",
    "Marlina",
    "Handayani",
)
MAIL_DOMAINS = (
    "gmail.com",
    "gmail.com",
    "gmail.com",
    "yahoo.co.id",
    "yahoo.com",
    "ymail.com",
    "outlook.com",
)
MOBILE_PREFIXES = (
    "0811",
    "0812",
    "0813",
    "0821",
    "0822",
    "0852",
    "0853",
    "0857",
    "0858",
    "0877",
    "0878",
    "0896",
    "0831",
)
BAD_PHONES = ("08-12ab", "12345", "0812", "081x-3456-78", "+62 8")
BAD_EMAILS = ("budi@@mail", "siti.rahma@gmail", "andi gmail.com", "@yahoo.co.id", "rina@gmail..com")
EMPTY_BODIES = (None, "", "   \n\t ")  # None: the isi key is absent
BAD_TIMES = (
    "31/02/2026 25:61",
    "kemarin sore",
    "2026-02-30 10:00:00",
    "12-03-2026 jam 9",
    "0000-00-00 00:00:00",
)

# (file name pattern, media type, min bytes, max bytes)
FILE_KINDS = (
    ("foto{n}.jpg", "image/jpeg", 40_000, 400_000),
    ("IMG_{stamp}_{n}.jpg", "image/jpeg", 60_000, 500_000),
    ("WhatsApp Image {n}.jpeg", "image/jpeg", 30_000, 250_000),
    ("tangkapan_layar_{n}.png", "image/png", 50_000, 300_000),
    ("surat_{n}.pdf", "application/pdf", 20_000, 200_000),
    ("video_{n}.mp4", "video/mp4", 300_000, 900_000),
)
# The first bytes of each file type, so a downloaded attachment looks like what it claims.
MAGIC = {
    "image/jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
    "image/png": b"\x89PNG\r\n\x1a\n",
    "application/pdf": b"%PDF-1.4\n",
    "video/mp4": b"\x00\x00\x00\x18ftypmp42",
}


@dataclass
class Seeded:
    """The seeded records in id order, and which ids are deliberately bad or quirky."""

    records: list[dict]
    bad: dict[int, str] = field(default_factory=dict)
    quirks: dict[int, str] = field(default_factory=dict)


def generate(good: int, bad: int, seed: int) -> Seeded:
    """`good` usable records plus `bad` broken ones, spread over the seeded window."""
    rng = random.Random(seed)
    total = good + bad
    times = _timeline(rng, total)
    records = [
        new_record(FIRST_ID + i, seed, created, updated, status)
        for i, (created, updated, status) in enumerate(times)
    ]
    _bulk_updates(rng, records)
    _seed_tanggapan(records, seed)
    bad_positions = sorted(rng.sample(range(total), bad))
    seeded = Seeded(records)
    for n, pos in enumerate(bad_positions):
        kind = BAD_KINDS[n % len(BAD_KINDS)]
        break_record(records[pos], kind, rng)
        seeded.bad[records[pos]["id"]] = kind
    broken = set(bad_positions)
    good_positions = [p for p in range(total) if p not in broken]
    per_kind = max(1, good // 200) if good >= 10 else 0
    picks = rng.sample(good_positions, min(len(good_positions), per_kind * len(QUIRK_KINDS)))
    for n, pos in enumerate(picks):
        kind = QUIRK_KINDS[n % len(QUIRK_KINDS)]
        add_quirk(records[pos], kind, rng)
        seeded.quirks[records[pos]["id"]] = kind
    return seeded


def new_record(
    record_id: int, seed: int, created: datetime, updated: datetime, status: str
) -> dict:
    """One good record; its content depends only on (seed, id), its times on the caller.
    It has no follow-ups yet: `generate` adds them to the seeded records once their times are final."""
    rng, region, kec, topic = _subject(seed, record_id)
    kategori, klasifikasi, _, juduls, sentences = topic
    words = _placeholders(rng, region, kec)
    anonim, rahasia = _privacy(rng)
    agency = AGENCIES.get(kategori) if rng.random() < 0.6 else None
    return {
        "id": record_id,
        "judul": rng.choice(juduls).format(**words),
        "isi": _body(rng, sentences, words),
        "klasifikasi": klasifikasi,
        "kategori": kategori,
        "lokasi": _lokasi(rng, region, kec, words["jalan"]),
        "tanggal_kejadian": _incident_date(rng, created),
        "pelapor": _pelapor(rng, region),
        "anonim": anonim,
        "rahasia": rahasia,
        "instansi_tujuan": {"kode": agency[0], "nama": agency[1]} if agency else None,
        "lampiran": _lampiran(rng, seed, record_id, created),
        "status": status,
        "dibuat_pada": created.strftime(TIME_FORMAT),
        "diperbarui_pada": updated.strftime(TIME_FORMAT),
        "tanggapan": [],
    }


def break_record(record: dict, kind: str, rng: random.Random) -> None:
    """Make a record unusable in the way `kind` names (the connector must quarantine it)."""
    if kind == "missing_body":
        body = rng.choice(EMPTY_BODIES)
        if body is None:
            del record["isi"]
        else:
            record["isi"] = body
    elif kind == "bad_date":
        record["dibuat_pada"] = rng.choice(BAD_TIMES)
    elif kind == "missing_privacy":
        del record["anonim"]
    else:
        raise ValueError(f"unknown bad kind {kind!r}; valid: {', '.join(BAD_KINDS)}")


def add_quirk(record: dict, kind: str, rng: random.Random) -> None:
    """Make a record odd but still deliverable (the connector warns and carries on)."""
    if kind == "unknown_category":
        record["kategori"] = rng.choice(UNKNOWN_CATEGORIES)
    elif kind == "bad_phone":
        record["pelapor"]["hp"] = rng.choice(BAD_PHONES)
    elif kind == "bad_email":
        record["pelapor"]["email"] = rng.choice(BAD_EMAILS)
    else:
        raise ValueError(f"unknown quirk kind {kind!r}; valid: {', '.join(QUIRK_KINDS)}")


def attachment_bytes(seed: int, record_id: int, index: int, size: int, mime: str) -> bytes:
    """The content of a seeded attachment: deterministic filler behind the file type's magic bytes."""
    block = random.Random(f"{seed}:{record_id}:file{index}").randbytes(4096)
    body = MAGIC.get(mime, b"") + block * (size // len(block) + 1)
    return body[:size]


def _subject(seed: int, record_id: int) -> tuple[random.Random, tuple, str, tuple]:
    # A record's own random stream and its first draws (region, kecamatan, topic),
    # so the follow-ups can name the same region's office as the record.
    rng = random.Random(f"{seed}:{record_id}")
    region = rng.choice(REGIONS)
    kec = rng.choice(region[3])
    topic = rng.choices(TOPICS, weights=[t[2] for t in TOPICS])[0]
    return rng, region, kec, topic


def _seed_tanggapan(records: list[dict], seed: int) -> None:
    # Ids are numbered after every record has its follow-ups, in the order they
    # were written, as the portal's auto-increment key would have given them.
    for record in records:
        record["tanggapan"] = _follow_ups(seed, record)
    written = sorted(
        ((t["waktu"], r["id"], n), t) for r in records for n, t in enumerate(r["tanggapan"])
    )
    for number, (_, tanggapan) in enumerate(written, FIRST_TANGGAPAN_ID):
        tanggapan["id"] = number


def _follow_ups(seed: int, record: dict) -> list[dict]:
    """The local follow-ups that led to the record's status: the last one at diperbarui_pada,
    any earlier one between dibuat_pada and it. Ids come later (`_seed_tanggapan`)."""
    steps = FOLLOW_UP_STEPS[record["status"]]
    if not steps:
        return []
    rng = random.Random(
        f"{seed}:{record['id']}:tanggapan"
    )  # its own stream: the record's other fields stay as they were
    created, updated = (
        datetime.strptime(record[k], TIME_FORMAT) for k in ("dibuat_pada", "diperbarui_pada")
    )
    span = int((updated - created).total_seconds())
    earlier = sorted(
        created + timedelta(seconds=rng.randint(span // 5, span * 4 // 5)) for _ in steps[:-1]
    )
    officer = _responder(seed, record["id"])
    return [
        {
            "id": None,
            "isi": rng.choice(REPLIES[step]),
            "oleh": PORTAL_ADMIN if step == "ditolak" else officer,
            "waktu": moment.strftime(TIME_FORMAT),
            "status": step,
            "ref": None,
        }
        for step, moment in zip(steps, [*earlier, updated])
    ]


def _responder(seed: int, record_id: int) -> str:
    _, region, _, topic = _subject(seed, record_id)
    code, short = region[0], region[1]
    area = (
        f"Kota {short}" if int(code.split(".")[1]) >= 71 else f"Kabupaten {short}"
    )  # 71-99 are kota
    return RESPONDERS[topic[0]].format(area=area, short=short)


def _timeline(rng: random.Random, n: int) -> list[tuple[datetime, datetime, str]]:
    # Ids follow creation order (an auto-increment key); updates happen later and
    # by status, so the update order differs from the id order.
    created = sorted(_created_at(rng) for _ in range(n))
    out = []
    for c in created:
        status = rng.choices(STATUSES, weights=(25, 35, 32, 8))[0]
        out.append((c, min(c + _update_delay(rng, status), max(c, WINDOW_END)), status))
    return out


def _created_at(rng: random.Random) -> datetime:
    day = WINDOW_START + timedelta(days=rng.randrange((WINDOW_END - WINDOW_START).days + 1))
    hour = rng.choices(
        range(24),
        weights=[1, 1, 1, 1, 1, 2, 4, 8, 10, 10, 10, 9, 8, 9, 9, 8, 7, 7, 8, 9, 8, 6, 4, 2],
    )[0]
    return day.replace(hour=hour, minute=rng.randrange(60), second=rng.randrange(60))


def _update_delay(rng: random.Random, status: str) -> timedelta:
    if status == "baru":
        return timedelta(0) if rng.random() < 0.6 else timedelta(minutes=rng.randint(1, 90))
    spans = {"proses": (2, 240), "selesai": (24, 720), "ditolak": (1, 120)}[status]
    return timedelta(hours=rng.uniform(*spans), seconds=rng.randrange(60))


def _bulk_updates(rng: random.Random, records: list[dict]) -> None:
    # An admin closing several reports at once gives them the same second;
    # a puller must cope with ties on diperbarui_pada.
    worked = [r for r in records if r["status"] != "baru"]
    for _ in range(len(records) // 100 if len(worked) >= 3 else 0):
        group = rng.sample(worked, 3)
        stamp = max(r["diperbarui_pada"] for r in group)
        for r in group:
            r["diperbarui_pada"] = stamp


def _placeholders(rng: random.Random, region: tuple, kec: str) -> dict:
    short = region[1]
    return {
        "jalan": rng.choice(STREETS),
        "kec": kec,
        "kab": short,
        "durasi": rng.choice(DURATIONS),
        "sekolah": f"{rng.choice(('SDN', 'SMPN', 'SMAN'))} {rng.randint(1, 12)} {kec}",
        "puskesmas": f"Puskesmas {kec}",
    }


def _body(rng: random.Random, sentences: tuple, words: dict) -> str:
    rest = sorted(rng.sample(range(1, len(sentences)), rng.randint(1, min(4, len(sentences) - 1))))
    return " ".join(sentences[i].format(**words) for i in [0, *rest])


def _lokasi(rng: random.Random, region: tuple, kec: str, jalan: str) -> str:
    kab = rng.choice(region[2])
    forms = (
        f"{jalan} Km {rng.randint(1, 36)}, Kec. {kec}, {kab}",
        f"{jalan} No. {rng.randint(1, 120)}, RT {rng.randint(1, 20):02d}, Kecamatan {kec}, {kab}",
        f"dekat pasar Kec. {kec}, {kab}",
        f"Kec. {kec} {kab}",
        f"{jalan}, {kec}, {kab}, Kalimantan Selatan",
    )
    return rng.choices(forms, weights=(4, 3, 1, 1, 1))[0]


def _incident_date(rng: random.Random, created: datetime) -> str | None:
    if rng.random() < 0.2:
        return None
    return (created - timedelta(days=rng.randint(0, 14))).strftime(INCIDENT_FORMAT)


def _privacy(rng: random.Random) -> tuple[str, int]:
    roll = rng.random()
    if roll < 0.7:
        return "tidak", 0
    if roll < 0.85:
        return "ya", 0
    if roll < 0.95:
        return "tidak", 1
    return "ya", 1


def _pelapor(rng: random.Random, region: tuple) -> dict:
    female = rng.random() < 0.45
    first = rng.choice(FEMALE_NAMES if female else MALE_NAMES)
    last = rng.choice(FEMALE_SURNAMES if female else MALE_SURNAMES)
    nama = f"{first} {last}"
    return {
        "nama": nama,
        "hp": _phone(rng),
        "email": _email(rng, first, last) if rng.random() < 0.7 else None,
        "nik": _nik(rng, region, female) if rng.random() < 0.6 else None,
    }


def _phone(rng: random.Random) -> str:
    prefix = rng.choice(MOBILE_PREFIXES)
    rest = "".join(str(rng.randrange(10)) for _ in range(8))
    local = prefix + rest  # 12 digits, 08xx xxxx xxxx
    style = rng.random()
    if style < 0.4:
        return f"{local[:4]}-{local[4:8]}-{local[8:]}"
    if style < 0.6:
        return local
    if style < 0.8:
        return "62" + local[1:]
    return f"+62 {local[1:4]} {local[4:8]} {local[8:]}"


def _email(rng: random.Random, first: str, last: str) -> str:
    sep = rng.choice((".", "_", ""))
    suffix = str(rng.randint(1, 99)) if rng.random() < 0.5 else ""
    return f"{first.lower()}{sep}{last.lower()}{suffix}@{rng.choice(MAIL_DOMAINS)}"


def _nik(rng: random.Random, region: tuple, female: bool) -> str:
    # 6-digit area code (province, kabupaten, kecamatan), birth date with 40 added
    # to the day for women, then a 4-digit serial.
    born = date(1960, 1, 1) + timedelta(days=rng.randrange(365 * 45))
    day = born.day + (40 if female else 0)
    area = region[0].replace(".", "") + f"{rng.randint(1, len(region[3])):02d}"
    return f"{area}{day:02d}{born.month:02d}{born.year % 100:02d}{rng.randint(1, 999):04d}"


def _lampiran(rng: random.Random, seed: int, record_id: int, created: datetime) -> list[dict]:
    count = rng.choices((0, 1, 2, 3), weights=(50, 30, 14, 6))[0]
    files = []
    for index in range(count):
        pattern, mime, low, high = rng.choice(FILE_KINDS)
        name = pattern.format(n=index + 1, stamp=created.strftime("%Y%m%d"))
        size = rng.randint(low, high)
        content = attachment_bytes(seed, record_id, index, size, mime)
        files.append(
            {
                "nama_file": name,
                "tipe": mime,
                "ukuran": size,
                "sha256": hashlib.sha256(content).hexdigest(),
                "url": f"/files/{record_id}/{index + 1}/{name}",
            }
        )
    return files
