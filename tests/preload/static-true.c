/*
 * static-true: a statically linked program that does nothing, for
 * rdt-run-cli.sh: rdt-run must warn that the preload library cannot
 * reach it, and still run it.
 */
int main(void)
{
	return 0;
}
