# Run by Debian's busybox-static sh, on the host's Linux and in ringlab, in an empty
# working directory: the transcripts and exit statuses must be the same.
umask 022
echo "== pipes and redirections"
printf 'pear\napple\nfig\napple\n' > fruit.txt
sort fruit.txt | uniq -c | sed 's/^ *//'
sort -r < fruit.txt | head -n 2
wc -l < fruit.txt
echo extra >> fruit.txt
tail -n 1 fruit.txt
grep -c apple fruit.txt
cat missing.txt 2>&1 | sed 's/^/err: /'
cat missing.txt > /dev/null 2>&1; echo "status of cat missing: $?"
echo "== here-document, read, loops"
while read name count; do
    echo "$name has $count"
done <<END
alpha 1
beta 22
END
i=0
while [ $i -lt 3 ]; do i=$((i + 1)); printf '%s,' "$i"; done; echo
for w in one two three; do echo "$w" | tr a-z A-Z; done
echo "== functions, subshells, command substitution"
double() { echo $(( $1 * 2 )); }
echo "double 21 = $(double 21)"
( cd /; echo "subshell in $(pwd)" ); echo "back in $(basename "$(pwd)")"
x=outer; ( x=inner; echo "sub: $x" ); echo "main: $x"
n=$(seq 10 | wc -l); echo "seq 10 has $n lines"
echo "expr: $(expr 7 \* 6) $(expr length hello)"
test -f fruit.txt && echo "fruit.txt is a file"
[ -d fruit.txt ] || echo "fruit.txt is not a directory"
echo "== files and directories"
mkdir -p d/sub
echo hello > d/sub/h.txt
mv fruit.txt d/
ls d
find . | sort
md5sum d/sub/h.txt
ls -ln d/fruit.txt | tr -s ' ' | cut -d ' ' -f 1-5,9
rm d/sub/h.txt
rmdir d/sub
rm -r d
ls -a
seq 1 5 | head -n 3 | tail -n 1
printf '%05d|%-4s|%x\n' 42 ab 255
echo "== the end"
false || exit 7
