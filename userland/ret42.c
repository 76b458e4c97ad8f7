/* Exits with status 42: `invoke boot --init images/user/ret42` must exit 42. */
int main(void)
{
    return 42;
}
