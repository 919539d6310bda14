#!/bin/sh
# Lab attack scenario: write-below-bin (T1543). Runs inside a lab pod via pods/exec (sh -s, script on stdin).
F=/usr/local/bin/lab-implant-$$
printf '#!/bin/sh\necho implant ran\n' > $F
chmod +x $F
$F
rm -f $F
