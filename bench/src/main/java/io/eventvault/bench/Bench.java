package io.eventvault.bench; public class Bench { public static void main(String[] a){} }
